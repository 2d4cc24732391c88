/* Forwarding the ranks' stdout/stderr pipes to ferryrun's own, whole lines
 * at a time, so lines of different ranks never mix. */
#ifndef FERRY_LAUNCHER_IO_H
#define FERRY_LAUNCHER_IO_H

#include <stddef.h>

/* Bytes buffered per pipe; a longer line goes out in pieces of this size. */
#define IO_LINE_BUF (64 * 1024)

/* Where streams write: ferryrun's stdout or stderr, or (in a node agent)
 * a function that sends the lines on. */
struct io_sink {
    int fd;
    int broken; /* a write failed (reader gone): streams to it get closed */
    /* When set, lines go here instead of fd, untagged: rank, stream (1 for
     * stdout, 2 for stderr) and a batch of bytes ending a line (or a piece
     * of a line longer than IO_LINE_BUF, or the last bytes before EOF). */
    void (*put)(void *ctx, int rank, int stream, const char *p, size_t len);
    void *ctx;
    /* Readers pause while this says the sink is full (NULL: never). */
    int (*full)(void *ctx);
};

struct io_stream {
    int fd; /* read end of the rank's pipe (O_NONBLOCK), -1 after EOF */
    int rank, stream;
    struct io_sink *sink;
    char tag[48]; /* "[1,R]<stdout>:" with --tag-output, else "" */
    size_t taglen;
    int mid_line; /* part of the current line is already out */
    size_t len;
    char *buf;
};

enum io_status { IO_OPEN, IO_AGAIN, IO_CLOSED };

/* Set up s over fd; stream is "stdout"/"stderr", tagged when tag is set.
 * Returns 0, or -ENOMEM with fd closed. */
int io_stream_init(struct io_stream *s, int fd, struct io_sink *sink, int rank, const char *stream,
                   int tag);
/* One read: forward the whole lines it completes. IO_OPEN after a read,
 * IO_AGAIN when nothing was there, IO_CLOSED after EOF (the partial last
 * line flushed, fd closed). */
enum io_status io_stream_pump(struct io_stream *s);
/* Read what the pipe holds now (bounded), e.g. after its rank exited. */
void io_stream_drain(struct io_stream *s);
/* Flush what is buffered and close, whether or not EOF was seen. */
void io_stream_close(struct io_stream *s);
void io_stream_free(struct io_stream *s);

/* Write bytes of a stream to sink k, each line that does not continue a
 * piece already written prefixed with tag; *mid_line tracks that state.
 * For lines that arrive from node agents. */
void io_emit(struct io_sink *k, const char *tag, size_t taglen, int *mid_line, const char *p,
             size_t len);
/* The --tag-output prefix of rank's stream ("stdout"/"stderr"). */
void io_tag(char *buf, size_t cap, int rank, const char *stream);

#endif
