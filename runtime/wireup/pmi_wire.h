/* The PMI-1 wire protocol: lines of space-separated key=value fields, the
 * first of which is cmd=NAME (or mcmd=NAME). Shared by the client inside
 * every rank and the server inside the launcher; nothing read from the
 * socket is trusted. */
#ifndef FERRY_PMI_WIRE_H
#define FERRY_PMI_WIRE_H

#include <stddef.h>

#define PMI_LINE_MAX 4096 /* longest line, newline included */
#define PMI_FIELDS_MAX 32
#define PMI_KVSNAME_MAX 256
#define PMI_KEYLEN_MAX 256
#define PMI_VALLEN_MAX 1024

enum pmi_wire_error {
    PMI_WIRE_OK = 0,
    PMI_WIRE_TOO_LONG = -1,   /* over PMI_LINE_MAX, or a value over its limit */
    PMI_WIRE_MALFORMED = -2,  /* a field without '=', an empty key, a NUL byte */
    PMI_WIRE_NO_CMD = -3,     /* the first field is not cmd= or mcmd= */
    PMI_WIRE_TOO_MANY = -4,   /* more than PMI_FIELDS_MAX fields */
    PMI_WIRE_EOF = -5,        /* the peer closed the socket */
    PMI_WIRE_IO = -6,         /* read/write failed (errno set) */
    PMI_WIRE_MISSING = -7,    /* a required field is absent */
};

struct pmi_field {
    const char *key;
    const char *val;
};

/* A parsed line. Keys and values point into buf. */
struct pmi_msg {
    char buf[PMI_LINE_MAX];
    const char *cmd; /* the value of cmd= / mcmd= */
    int nfields;     /* fields after the cmd */
    struct pmi_field f[PMI_FIELDS_MAX];
};

/* Parse one line of len bytes (a trailing '\n' is allowed). Fields are
 * separated by runs of spaces. Limits are on string lengths: a key over
 * PMI_KEYLEN_MAX or a value over PMI_VALLEN_MAX is PMI_WIRE_TOO_LONG. On an
 * error, m keeps what was parsed before the bad field (cmd may be set), so a
 * server can name the command in its answer. */
int pmi_parse(const char *line, size_t len, struct pmi_msg *m);
/* Copy a parsed line (its keys and values point into its own buf). */
void pmi_msg_copy(struct pmi_msg *dst, const struct pmi_msg *src);
/* The value of key, or NULL. */
const char *pmi_get(const struct pmi_msg *m, const char *key);
/* The value of key as a base-10 long; PMI_WIRE_MISSING or PMI_WIRE_MALFORMED. */
int pmi_get_long(const struct pmi_msg *m, const char *key, long *out);
const char *pmi_wire_strerror(int err);

/* Buffered line reader over a stream socket. */
struct pmi_reader {
    int fd;
    size_t len;
    char buf[PMI_LINE_MAX];
    int skipping; /* 1: inside an over-long line; 2: its end was seen, not yet reported */
};
void pmi_reader_init(struct pmi_reader *r, int fd);
/* Read one complete line into m (blocking). A line longer than PMI_LINE_MAX
 * is consumed to its newline and reported as PMI_WIRE_TOO_LONG. */
int pmi_read_msg(struct pmi_reader *r, struct pmi_msg *m);
/* For non-blocking servers: take one complete line already in the buffer.
 * Returns 1 and fills m (or returns an error) when a line was there, 0 when
 * more bytes are needed. pmi_reader_fill reads what the socket has without
 * blocking (recv with MSG_DONTWAIT; a non-socket fd must be O_NONBLOCK):
 * the count of bytes read, 0 when none were ready, PMI_WIRE_EOF or
 * PMI_WIRE_IO. Take every line with pmi_next_msg before filling again. */
int pmi_next_msg(struct pmi_reader *r, struct pmi_msg *m);
int pmi_reader_fill(struct pmi_reader *r);

/* Write "cmd=CMD k1=v1 k2=v2 ...\n" fully; the variadic part is pairs of
 * const char * (key, value) ending with NULL. A space or newline in a key or
 * value, or an empty key, is PMI_WIRE_MALFORMED. A dead peer gives
 * PMI_WIRE_IO with errno EPIPE (never SIGPIPE on a socket); so does a send
 * that would block (EAGAIN: O_NONBLOCK or SO_SNDTIMEO ran out). */
int pmi_send(int fd, const char *cmd, ...);

#endif
