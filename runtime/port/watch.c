/* Dead-name notifications. The watcher asks the port's owner to tell it
 * when the port dies and remembers what to notify; the owner answers with a
 * FRAME_WATCH_FIRED when the port is destroyed (at once if it already is),
 * and the watcher turns that into a FERRY_NOTIFY_DEAD_NAME message. When the
 * owner rank itself dies, the watcher fires its records on its own. */
#include <stdlib.h>

#include "include/ferry.h"
#include "runtime/core/api.h"
#include "runtime/core/world.h"
#include "runtime/port/flow.h"
#include "runtime/port/port.h"
#include "runtime/progress/lock.h"

/* Owner side: who watches a port. */
struct watch {
    struct watch *next;
    uint32_t watcher;
};

/* Watcher side: what to notify for which port. */
static struct local_watch {
    ferry_port_t port, notify;
} * locals;
static size_t nlocals, caplocals;

static void tell_fired(uint32_t watcher, uint32_t index, uint32_t gen)
{
    struct ferry_hdr h = {
        .src = (uint32_t)ferry_w.rank, .kind = FRAME_WATCH_FIRED, .port = index, .gen = gen};
    send_control_hdr((int)watcher, &h, NULL, 0);
}

void watch_add(struct port_rec *p, uint32_t index, uint32_t gen, uint32_t watcher)
{
    struct watch *w = p ? malloc(sizeof *w) : NULL;
    if (!w) {
        /* Dead already (or no memory to remember it): say so now. */
        tell_fired(watcher, index, gen);
        return;
    }
    w->watcher = watcher;
    w->next = p->watchers;
    p->watchers = w;
}

void watch_port_closed(struct port_rec *p, uint32_t index, uint32_t gen, int tell)
{
    while (p->watchers) {
        struct watch *w = p->watchers;
        p->watchers = w->next;
        if (tell) tell_fired(w->watcher, index, gen);
        free(w);
    }
}

/* Fire (and forget) every record that matches. */
static void fire(int (*match)(const ferry_port_t *, const void *), const void *arg)
{
    for (size_t i = 0; i < nlocals;) {
        if (!match(&locals[i].port, arg)) {
            i++;
            continue;
        }
        struct local_watch w = locals[i];
        locals[i] = locals[--nlocals];
        send_notification(w.notify, FERRY_NOTIFY_DEAD_NAME, w.port);
    }
}

static int same_port(const ferry_port_t *p, const void *arg)
{
    return ferry_port_equal(*p, *(const ferry_port_t *)arg);
}

static int of_rank(const ferry_port_t *p, const void *arg)
{
    return p->rank == *(const uint32_t *)arg;
}

void watch_on_fired(const struct ferry_hdr *h)
{
    ferry_port_t port = {h->src, h->port, h->gen};
    fire(same_port, &port);
}

void watch_rank_died(uint32_t rank)
{
    fire(of_rank, &rank);
}

void watch_fini(void)
{
    free(locals);
    locals = NULL;
    nlocals = caplocals = 0;
}

FERRY_API int ferry_port_notify_dead(ferry_port_t port, ferry_port_t notify)
{
    LOCKED();
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (port.rank >= (uint32_t)ferry_w.size || notify.rank >= (uint32_t)ferry_w.size || !port.gen ||
        !notify.gen)
        return FERRY_ERR_INVALID;
    port.index &= ~PORT_ONCE_BIT;
    if (nlocals == caplocals) {
        size_t cap = caplocals ? 2 * caplocals : 16;
        struct local_watch *v = realloc(locals, cap * sizeof *v);
        if (!v) return FERRY_ERR_NOMEM;
        locals = v;
        caplocals = cap;
    }
    locals[nlocals++] = (struct local_watch){port, notify};
    if (ferry_w.peers[port.rank].dead) {
        watch_rank_died(port.rank);
        return FERRY_OK;
    }
    struct ferry_hdr h = {
        .src = (uint32_t)ferry_w.rank, .kind = FRAME_WATCH, .port = port.index, .gen = port.gen};
    return send_control_hdr((int)port.rank, &h, NULL, 0);
}
