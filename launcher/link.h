/* One connection between ferryrun and an agent, or an agent and its parent:
 * whole frames (wire.h) in and out over a non-blocking TCP socket, with
 * buffering both ways and a heartbeat, so a dead peer or a cut link is
 * noticed within LINK_DEAD_MS even when nothing else is said. */
#ifndef FERRY_LAUNCHER_LINK_H
#define FERRY_LAUNCHER_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "launcher/wire.h"

#define LINK_PING_MS 1000
#define LINK_DEAD_MS 5000
/* Output a peer does not take: past this, the link is given up. */
#define LINK_OUT_MAX ((size_t)256 << 20)
/* Above this, readers of ranks' output pause until the link drains. */
#define LINK_OUT_HIGH ((size_t)4 << 20)

struct link {
    int fd; /* -1 once closed */
    uint8_t *in, *out;
    size_t inlen, incap, outoff, outlen, outcap;
    size_t max_frame; /* small until the peer has proved it knows the secret */
    int64_t last_rx, last_tx;
    char why[160]; /* why it closed */
};

/* Take fd (connected, any mode). */
void link_init(struct link *l, int fd, int64_t now);
/* Queue a finished frame (wbuf_finish done) and try to send it. 0, or -1
 * when the link is (now) closed. */
int link_send(struct link *l, struct wbuf *b, int64_t now);
/* Build and send a frame with no body. */
int link_send_empty(struct link *l, enum wire_type t, int64_t now);
/* Write what is queued, as far as the socket takes it. */
void link_flush(struct link *l, int64_t now);
size_t link_backlog(const struct link *l);

typedef void (*link_frame_fn)(void *ctx, uint16_t type, const uint8_t *body, size_t len);
/* Read what the socket has and hand each complete frame to fn (which may
 * close the link). Returns -1 once the link is closed (EOF, error, a bad
 * length), else 0. */
int link_read(struct link *l, link_frame_fn fn, void *ctx, int64_t now);
/* Send a ping when quiet; close the link when the peer has been silent too
 * long. Returns -1 when closed. */
int link_tick(struct link *l, int64_t now);
/* When link_tick next has something to do. */
int64_t link_next_tick(const struct link *l);
void link_close(struct link *l, const char *why);
void link_free(struct link *l);

#endif
