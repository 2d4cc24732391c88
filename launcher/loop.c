#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "launcher/loop.h"

int64_t loop_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void loop_begin(struct loop *l)
{
    l->n = 0;
    l->deadline = INT64_MAX;
}

void loop_add(struct loop *l, int fd, short events, loop_fn fn, void *ctx, int arg)
{
    if (fd < 0) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct pollfd *p = realloc(l->pfd, cap * sizeof *p);
        if (p) l->pfd = p;
        struct loop_cb *c = p ? realloc(l->cb, cap * sizeof *c) : NULL;
        if (c) l->cb = c;
        if (!p || !c) {
            l->oom = 1; /* this fd is not watched this turn; timers still run */
            return;
        }
        l->cap = cap;
    }
    l->pfd[l->n] = (struct pollfd){.fd = fd, .events = events};
    l->cb[l->n++] = (struct loop_cb){fn, ctx, arg};
}

void loop_timer(struct loop *l, int64_t when)
{
    if (when < l->deadline) l->deadline = when;
}

int loop_run(struct loop *l)
{
    int timeout = -1;
    if (l->deadline != INT64_MAX) {
        int64_t d = l->deadline - loop_now_ms();
        timeout = d <= 0 ? 0 : d > 60000 ? 60000 : (int)d;
    }
    if (l->oom && (timeout < 0 || timeout > 100)) timeout = 100;
    l->oom = 0;
    int rc = poll(l->pfd, l->n, timeout);
    if (rc < 0) return errno == EINTR ? 0 : -1;
    for (size_t i = 0; rc > 0 && i < l->n; i++)
        if (l->pfd[i].revents) l->cb[i].fn(l->cb[i].ctx, l->cb[i].arg, l->pfd[i].revents);
    return 0;
}

void loop_free(struct loop *l)
{
    free(l->pfd);
    free(l->cb);
    l->pfd = NULL;
    l->cb = NULL;
    l->n = l->cap = 0;
}
