/* Line-at-a-time forwarding. The launcher is the only writer of its stdout
 * and stderr and writes each batch of whole lines before serving another
 * pipe, so lines of different ranks cannot interleave. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "launcher/io.h"

/* Lines per writev when tagging. */
#define IO_BATCH 64

int io_stream_init(struct io_stream *s, int fd, struct io_sink *sink, int rank, const char *stream,
                   int tag)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->sink = sink;
    s->rank = rank;
    s->stream = strcmp(stream, "stderr") == 0 ? 2 : 1;
    if (tag) io_tag(s->tag, sizeof s->tag, rank, stream);
    s->taglen = strlen(s->tag);
    s->buf = malloc(IO_LINE_BUF);
    if (s->buf) return 0;
    close(fd); /* a stream without a buffer must not be polled */
    s->fd = -1;
    return -ENOMEM;
}

void io_stream_free(struct io_stream *s)
{
    free(s->buf);
    s->buf = NULL;
}

/* writev all of iov to the sink; waits when the sink is non-blocking and
 * full, and gives up on the sink (not the job) when its reader is gone. */
static void sink_writev(struct io_sink *k, struct iovec *iov, int n)
{
    while (n > 0 && !k->broken) {
        ssize_t w = writev(k->fd, iov, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd p = {.fd = k->fd, .events = POLLOUT};
                poll(&p, 1, 1000);
                continue;
            }
            k->broken = 1;
            return;
        }
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
}

void io_tag(char *buf, size_t cap, int rank, const char *stream)
{
    snprintf(buf, cap, "[1,%d]<%s>:", rank, stream);
}

/* Write buf[0..len): whole lines, except that a final piece without newline
 * is written when flushing. Each line not continuing a piece gets the tag. */
static void emit(struct io_stream *s, const char *p, size_t len)
{
    if (s->sink->put) {
        if (len) s->sink->put(s->sink->ctx, s->rank, s->stream, p, len);
        return;
    }
    io_emit(s->sink, s->tag, s->taglen, &s->mid_line, p, len);
}

void io_emit(struct io_sink *k, const char *tag, size_t taglen, int *mid_line, const char *p,
             size_t len)
{
    if (!taglen) {
        struct iovec iov = {.iov_base = (void *)p, .iov_len = len};
        sink_writev(k, &iov, 1);
        if (len) *mid_line = p[len - 1] != '\n';
        return;
    }
    struct iovec iov[2 * IO_BATCH];
    int n = 0;
    const char *end = p + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl + 1 : end;
        if (!*mid_line) iov[n++] = (struct iovec){.iov_base = (void *)tag, .iov_len = taglen};
        iov[n++] = (struct iovec){.iov_base = (void *)p, .iov_len = (size_t)(stop - p)};
        *mid_line = !nl;
        p = stop;
        if (n >= 2 * IO_BATCH - 1) {
            sink_writev(k, iov, n);
            n = 0;
        }
    }
    if (n) sink_writev(k, iov, n);
}

/* Forward the complete lines in the buffer, or a full buffer as one piece. */
static void forward_lines(struct io_stream *s)
{
    char *last = memrchr(s->buf, '\n', s->len);
    size_t n = last ? (size_t)(last + 1 - s->buf) : (s->len == IO_LINE_BUF ? s->len : 0);
    if (!n) return;
    emit(s, s->buf, n);
    memmove(s->buf, s->buf + n, s->len - n);
    s->len -= n;
}

void io_stream_close(struct io_stream *s)
{
    if (s->fd < 0) return;
    if (s->len) emit(s, s->buf, s->len);
    s->len = 0;
    close(s->fd);
    s->fd = -1;
}

enum io_status io_stream_pump(struct io_stream *s)
{
    if (s->fd < 0) return IO_CLOSED;
    if (s->sink->full && s->sink->full(s->sink->ctx)) return IO_AGAIN;
    if (s->sink->broken) {
        /* Nobody reads ferryrun's output: let the rank see EPIPE/SIGPIPE as
         * it would without a launcher, rather than run on unread. */
        close(s->fd);
        s->fd = -1;
        s->len = 0;
        return IO_CLOSED;
    }
    for (;;) {
        ssize_t n = read(s->fd, s->buf + s->len, IO_LINE_BUF - s->len);
        if (n > 0) {
            s->len += (size_t)n;
            forward_lines(s);
            return IO_OPEN;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return IO_AGAIN;
        io_stream_close(s); /* EOF, or an error that ends the pipe */
        return IO_CLOSED;
    }
}

void io_stream_drain(struct io_stream *s)
{
    /* Bounded: a child of the rank may still hold the pipe and write on. */
    for (int i = 0; i < 256 && io_stream_pump(s) == IO_OPEN; i++) {
    }
}
