/* The launcher's event loop: the poll set is rebuilt every turn from what
 * each part wants watched, and a callback per fd; no threads, no signal
 * handlers (signals arrive through a signalfd). */
#ifndef FERRY_LAUNCHER_LOOP_H
#define FERRY_LAUNCHER_LOOP_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*loop_fn)(void *ctx, int arg, short revents);

struct loop_cb {
    loop_fn fn;
    void *ctx;
    int arg;
};

struct loop {
    struct pollfd *pfd;
    struct loop_cb *cb;
    size_t n, cap;
    int64_t deadline; /* earliest timer asked for this turn */
    int oom;
};

int64_t loop_now_ms(void);
void loop_begin(struct loop *l);
/* Watch fd for events this turn; fn(ctx, arg, revents) when it fires. */
void loop_add(struct loop *l, int fd, short events, loop_fn fn, void *ctx, int arg);
/* Wake up by this time (monotonic ms) at the latest. */
void loop_timer(struct loop *l, int64_t when);
/* Poll and dispatch in the order added. -1 on a poll failure other than
 * EINTR (errno set), else 0. */
int loop_run(struct loop *l);
void loop_free(struct loop *l);

#endif
