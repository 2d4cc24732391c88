/* Messages between ferryrun and its node agents (ferryd): a frame is
 *
 *   [u32 length of what follows][u16 type][body...]
 *
 * in network byte order, the body a sequence of fixed-width integers and
 * length-prefixed strings. Building and reading are here; nothing read from
 * a socket is trusted: every read is bounds-checked and a short or
 * malformed body only sets an error flag. Pure: unit-tested. */
#ifndef FERRY_LAUNCHER_WIRE_H
#define FERRY_LAUNCHER_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_VERSION   1
#define WIRE_FRAME_MAX ((size_t)64 << 20) /* a larger length closes the link */
#define WIRE_HDR       6
#define WIRE_SECRET    64 /* hex characters of the per-job secret */

enum wire_type {
    /* agent to parent */
    W_HELLO = 1, /* u32 version, u32 tree index, str secret */
    W_SPAWNED,   /* u32 rank, u32 pid, str where */
    W_FENCE_IN,  /* u32 n, n x (str key, str value): the subtree's puts */
    W_OUTPUT,    /* u32 rank, u8 stream (1 out, 2 err), str bytes */
    W_EXIT,      /* u32 rank, u32 pid, u32 wait status */
    W_ABORT,     /* u32 rank, u32 exit code, str message */
    W_ERROR,     /* str host, str text: the agent or its subtree cannot go on */
    W_BAD_PMI,   /* u32 rank, str what */
    W_NAME_REQ,  /* u32 rank, str cmd, str name, str port, str timeout_ms ("": absent) */
    /* parent to agent */
    W_JOB = 32,    /* the job, see jobspec.h */
    W_FENCE_OUT,   /* u32 n, n x (str key, str value): every put of the epoch */
    W_KILL,        /* u32 signal */
    W_NAME_ANS,    /* u32 rank, str cmd, str rc, str key, str value (key "": none) */
    W_RANK_EXITED, /* u32 rank: it ended and the job goes on (--no-abort-on-exit) */
    /* both ways */
    W_PING = 64,
};

/* A growing buffer to build a frame in. */
struct wbuf {
    uint8_t *p;
    size_t len, cap;
    int oom;
};

void wbuf_start(struct wbuf *b, enum wire_type t);
void wbuf_u8(struct wbuf *b, uint8_t v);
void wbuf_u32(struct wbuf *b, uint32_t v);
void wbuf_bytes(struct wbuf *b, const void *p, size_t n); /* as a string: u32 length, bytes */
void wbuf_str(struct wbuf *b, const char *s);
/* Append bytes as they are (a body being passed on). */
void wbuf_raw(struct wbuf *b, const void *p, size_t n);
/* Fill in the length; 0, or -1 when out of memory or over WIRE_FRAME_MAX. */
int wbuf_finish(struct wbuf *b);
void wbuf_free(struct wbuf *b);

/* Reading a frame's body. */
struct wread {
    const uint8_t *p;
    size_t left;
    int bad; /* a read ran past the end or a string was malformed */
};

void wread_init(struct wread *r, const void *body, size_t len);
uint8_t wread_u8(struct wread *r);
uint32_t wread_u32(struct wread *r);
/* A string: points into the frame; *n its length. NULL (bad set) when it
 * runs past the end. */
const char *wread_bytes(struct wread *r, size_t *n);
/* A NUL-free string of at most max bytes, copied and NUL-terminated into a
 * new allocation (free it); NULL and bad set otherwise. */
char *wread_strdup(struct wread *r, size_t max);
/* Whether everything was read, exactly. */
int wread_done(const struct wread *r);

/* Parse the 6-byte header: 0 with *type and *body_len, -1 when the length
 * is out of bounds. */
int wire_header(const uint8_t *h, uint16_t *type, size_t *body_len);

#endif
