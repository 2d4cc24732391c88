/* Credits for bounded ports: both the sender's and the receiver's side. */
#include <stdlib.h>
#include <string.h>

#include "include/ferry.h"
#include "runtime/core/world.h"
#include "runtime/port/flow.h"
#include "runtime/port/port.h"
#include "runtime/progress/request.h"

/* ---- sender side: one struct dest per destination port ---- */

/* Destinations other than the well-known ports, by (rank, index): an open
 * addressing table of pointers, so a dest never moves. */
static struct dest **dests;
static size_t ndests, capdests;
/* The well-known port of every rank, the commonest destination, directly. */
static struct dest *wk;

static size_t dest_hash(uint32_t rank, uint32_t index)
{
    return (size_t)(((uint64_t)rank * 0x9E3779B97F4A7C15ULL) ^
                    ((uint64_t)index * 0xC2B2AE3D27D4EB4FULL));
}

static struct dest **dest_slot(struct dest **t, size_t cap, uint32_t rank, uint32_t index)
{
    size_t i = dest_hash(rank, index) & (cap - 1);
    while (t[i] && (t[i]->rank != rank || t[i]->index != index)) i = (i + 1) & (cap - 1);
    return &t[i];
}

static int dests_grow(void)
{
    size_t cap = capdests ? capdests * 2 : 64;
    struct dest **t = calloc(cap, sizeof *t);
    if (!t) return FERRY_ERR_NOMEM;
    for (size_t i = 0; i < capdests; i++)
        if (dests[i]) *dest_slot(t, cap, dests[i]->rank, dests[i]->index) = dests[i];
    free(dests);
    dests = t;
    capdests = cap;
    return FERRY_OK;
}

static void dest_reset(struct dest *e, ferry_port_t d)
{
    memset(e, 0, sizeof *e);
    e->rank = d.rank;
    e->index = d.index;
    e->gen = d.gen;
    e->bounded = d.index != PORT_MPI;
    reqq_init(&e->waitq);
}

struct dest *dest_at(uint32_t rank, uint32_t index, uint32_t gen)
{
    const ferry_port_t d = {rank, index, gen};
    struct dest *e;
    if (d.index == PORT_WELL_KNOWN) {
        if (!wk && !(wk = calloc((size_t)ferry_w.size, sizeof *wk))) return NULL;
        e = &wk[d.rank];
        if (!e->gen) dest_reset(e, d);
        return e;
    }
    if (2 * (ndests + 1) > capdests && dests_grow()) return NULL;
    struct dest **slot = dest_slot(dests, capdests, d.rank, d.index);
    if (!*slot) {
        if (!(*slot = malloc(sizeof **slot))) return NULL;
        dest_reset(*slot, d);
        ndests++;
    }
    e = *slot;
    /* A new port in a reused slot: nothing carries over, but sends still
     * waiting for the old one fail. */
    if (e->gen != d.gen) {
        struct ferry_request *r;
        while ((r = e->waitq.head)) {
            reqq_remove(&e->waitq, r);
            req_complete(r, FERRY_ERR_DEAD_PORT);
        }
        dest_reset(e, d);
    }
    return e;
}

static void dest_kill(struct dest *e)
{
    e->dead = 1;
    e->credits = 0;
    struct ferry_request *r;
    while ((r = e->waitq.head)) {
        reqq_remove(&e->waitq, r);
        req_complete(r, FERRY_ERR_DEAD_PORT);
    }
}

void dest_rank_died(uint32_t rank)
{
    if (wk && wk[rank].gen) dest_kill(&wk[rank]);
    for (size_t i = 0; i < capdests; i++)
        if (dests[i] && dests[i]->rank == rank) dest_kill(dests[i]);
}

void dest_fini(void)
{
    for (size_t i = 0; i < capdests; i++) free(dests[i]);
    free(dests);
    free(wk);
    dests = NULL;
    wk = NULL;
    ndests = capdests = 0;
}

static int ctrl(int peer, uint16_t kind, uint16_t flags, uint32_t port, uint32_t gen,
                uint64_t count)
{
    struct ferry_hdr h = {.src = (uint32_t)ferry_w.rank,
                          .kind = kind,
                          .flags = flags,
                          .port = port,
                          .gen = gen,
                          .size = count};
    return send_control_hdr(peer, &h, NULL, 0);
}

int flow_request(struct dest *e, int probe)
{
    if (e->requested) return FERRY_OK;
    e->requested = 1;
    return ctrl((int)e->rank, FRAME_CREDIT_REQ, probe ? FLOW_PROBE : 0, e->index, e->gen, 0);
}

/* Send what waits for credits, in order, while credits last. */
void flow_drain(struct dest *e)
{
    struct ferry_request *r;
    while ((r = e->waitq.head) && (e->credits || e->sync)) {
        reqq_remove(&e->waitq, r);
        send_admitted(e, r);
    }
    if (e->waitq.head) flow_request(e, 0);
}

static struct dest *dest_known(const struct ferry_hdr *h)
{
    ferry_port_t d = {h->src, h->port, h->gen};
    if (h->port == PORT_WELL_KNOWN) return wk ? &wk[h->src] : NULL;
    if (!capdests) return NULL;
    struct dest *e = *dest_slot(dests, capdests, d.rank, d.index);
    return e && e->gen == d.gen ? e : NULL;
}

void flow_on_sender_frame(const struct ferry_hdr *h, const void *payload, size_t len)
{
    struct dest *e = dest_known(h);
    if (!e) return; /* about a port we no longer talk to */
    switch (h->kind) {
    case FRAME_CREDIT:
        /* Credits handed back unasked leave a request outstanding. */
        if (h->flags & FLOW_REPLY) e->requested = 0;
        if ((h->flags & FLOW_SYNC) && e->credits) {
            /* Synchronous sends need no credit: give them back. */
            ctrl((int)e->rank, FRAME_CREDIT_RETURN, 0, e->index, e->gen, e->credits);
            e->credits = 0;
        }
        if (h->flags & FLOW_SYNC) e->sync = 1;
        if (h->flags & FLOW_ASYNC) e->sync = 0;
        if (h->size > UINT32_MAX - e->credits) break;
        e->credits += (uint32_t)h->size;
        flow_drain(e);
        break;
    case FRAME_RECALL:
        if (e->credits) ctrl((int)e->rank, FRAME_CREDIT_RETURN, 0, e->index, e->gen, e->credits);
        e->credits = 0;
        /* Sends still waiting keep their place: ask again. */
        if (e->waitq.head) {
            e->requested = 0;
            flow_request(e, 0);
        }
        break;
    case FRAME_PORT_DEAD:
        dest_kill(e);
        break;
    case FRAME_ROOM:
        if (e->notify_pending) {
            e->notify_pending = 0;
            send_notification(e->notify, FERRY_NOTIFY_SEND_POSSIBLE,
                              (ferry_port_t){e->rank, e->index, e->gen});
        }
        break;
    }
}

/* ---- receiver side: one struct flow_rx per bounded port that was asked ---- */

struct credit_rec {
    uint32_t outstanding; /* credits the sender holds or has in flight */
    uint32_t accum;       /* freed by its messages, not yet handed back */
    uint8_t waiting;      /* asked, not yet served */
    uint8_t told_sync;    /* was told the limit is 0 */
};

struct flow_rx {
    struct credit_rec *by_rank; /* [world size] */
    uint32_t *waiters;          /* FIFO ring of ranks, [world size] */
    uint32_t whead, nwait;
    uint32_t outstanding, accum; /* totals */
};

static struct flow_rx *rx_of(struct port_rec *p)
{
    if (p->rx) return p->rx;
    struct flow_rx *rx = calloc(1, sizeof *rx);
    if (!rx) return NULL;
    rx->by_rank = calloc((size_t)ferry_w.size, sizeof *rx->by_rank);
    rx->waiters = calloc((size_t)ferry_w.size, sizeof *rx->waiters);
    if (!rx->by_rank || !rx->waiters) {
        free(rx->by_rank);
        free(rx->waiters);
        free(rx);
        return NULL;
    }
    return p->rx = rx;
}

void flow_port_free(struct port_rec *p)
{
    if (!p->rx) return;
    free(p->rx->by_rank);
    free(p->rx->waiters);
    free(p->rx);
    p->rx = NULL;
}

/* Credits per grant: half the limit, so one sender can keep a port busy
 * while another still gets a share (beyond two, recalls balance them);
 * handed back in batches of half that. Measured with benchmarks/ferry_stream. */
static uint32_t chunk(const struct port_rec *p)
{
    return p->qlimit >= 2 ? p->qlimit / 2 : 1;
}

static int64_t free_slots(const struct port_rec *p, const struct flow_rx *rx)
{
    return (int64_t)p->qlimit - p->queued - rx->outstanding - rx->accum;
}

/* Someone wants room and none is free: take back the credits freed but not
 * yet handed back, and if that is not enough, recall those that senders
 * other than `except` hold unused. Returns the room now free. */
static int64_t reclaim(struct port_rec *p, struct flow_rx *rx, uint32_t except)
{
    for (int s = 0; rx->accum && s < ferry_w.size; s++) rx->by_rank[s].accum = 0;
    rx->accum = 0;
    int64_t f = free_slots(p, rx);
    if (f <= 0 && (int64_t)p->queued < (int64_t)p->qlimit) {
        uint32_t index = port_index_of(p);
        for (int s = 0; s < ferry_w.size; s++) {
            struct credit_rec *c = &rx->by_rank[s];
            if (c->outstanding && !c->waiting && (uint32_t)s != except)
                ctrl(s, FRAME_RECALL, 0, index, p->gen, 0);
        }
    }
    return f;
}

/* Give credits to waiting senders, in turn, while there is room. */
static void grant(struct port_rec *p, struct flow_rx *rx)
{
    uint32_t index = port_index_of(p);
    while (rx->nwait) {
        int64_t f = free_slots(p, rx);
        if (f <= 0 && (f = reclaim(p, rx, UINT32_MAX)) <= 0) return;
        uint32_t s = rx->waiters[rx->whead];
        rx->whead = (rx->whead + 1) % (uint32_t)ferry_w.size;
        rx->nwait--;
        struct credit_rec *c = &rx->by_rank[s];
        c->waiting = 0;
        uint32_t g = f < chunk(p) ? (uint32_t)f : chunk(p);
        c->outstanding += g;
        rx->outstanding += g;
        ctrl((int)s, FRAME_CREDIT, FLOW_REPLY, index, p->gen, g);
    }
}

void flow_on_receiver_frame(const struct ferry_hdr *h, const void *payload, size_t len)
{
    struct port_rec *p = port_lookup(h->port, h->gen);
    if (h->kind == FRAME_WATCH) {
        watch_add(p, h->port, h->gen, h->src);
        return;
    }
    if (h->kind == FRAME_CANCEL) {
        cancel_large_send(p, h->src, h->tag);
        return;
    }
    if (!p || p->is_set) {
        if (h->kind == FRAME_CREDIT_REQ) ctrl((int)h->src, FRAME_PORT_DEAD, 0, h->port, h->gen, 0);
        return;
    }
    struct flow_rx *rx = rx_of(p);
    if (!rx) return; /* out of memory: the sender asks again later */
    struct credit_rec *c = &rx->by_rank[h->src];
    switch (h->kind) {
    case FRAME_CREDIT_REQ:
        if (p->qlimit == 0) {
            c->told_sync = 1;
            ctrl((int)h->src, FRAME_CREDIT, FLOW_SYNC | FLOW_REPLY, h->port, h->gen, 0);
            return;
        }
        if (h->flags & FLOW_PROBE) {
            /* Answer now: what is free (after the waiters), or nothing;
             * room held unused by other senders is recalled, so a retry
             * finds it once they hand it back. */
            grant(p, rx);
            int64_t f = free_slots(p, rx);
            if (f <= 0) f = reclaim(p, rx, h->src);
            uint32_t g = f <= 0 ? 0 : f < chunk(p) ? (uint32_t)f : chunk(p);
            c->outstanding += g;
            rx->outstanding += g;
            ctrl((int)h->src, FRAME_CREDIT, FLOW_REPLY, h->port, h->gen, g);
            return;
        }
        if (!c->waiting) {
            c->waiting = 1;
            rx->waiters[(rx->whead + rx->nwait++) % (uint32_t)ferry_w.size] = h->src;
        }
        grant(p, rx);
        break;
    case FRAME_CREDIT_RETURN: {
        uint32_t n = h->size < c->outstanding ? (uint32_t)h->size : c->outstanding;
        c->outstanding -= n;
        rx->outstanding -= n;
        grant(p, rx);
        break;
    }
    }
}

int flow_on_arrival(struct port_rec *p, uint32_t src)
{
    struct flow_rx *rx = p->rx;
    if (!rx || !rx->by_rank[src].outstanding) {
        ferry_log("dropping a message from rank %u that holds no credit for port %u", src,
                  port_index_of(p));
        return 0;
    }
    rx->by_rank[src].outstanding--;
    rx->outstanding--;
    return 1;
}

void flow_credit_freed(struct port_rec *p, uint32_t src)
{
    struct flow_rx *rx = p->rx;
    if (!rx) return;
    if (rx->nwait) {
        grant(p, rx);
        return;
    }
    /* Nobody waits: the credit goes back to the sender that used it, in
     * batches, so a steady stream never has to ask. */
    struct credit_rec *c = &rx->by_rank[src];
    c->accum++;
    rx->accum++;
    uint32_t batch = chunk(p) / 2 ? chunk(p) / 2 : 1;
    if (c->accum >= batch) {
        uint32_t g = c->accum;
        rx->accum -= g;
        c->accum = 0;
        c->outstanding += g;
        rx->outstanding += g;
        ctrl((int)src, FRAME_CREDIT, 0, port_index_of(p), p->gen, g);
    }
}

void flow_notify_taken(struct port_rec *p, uint32_t src)
{
    ctrl((int)src, FRAME_ROOM, 0, port_index_of(p), p->gen, 0);
}

void flow_limit_changed(struct port_rec *p)
{
    struct flow_rx *rx = p->rx;
    if (!rx) return;
    uint32_t index = port_index_of(p);
    int over = (int64_t)p->queued + rx->outstanding > (int64_t)p->qlimit;
    for (int s = 0; s < ferry_w.size; s++) {
        struct credit_rec *c = &rx->by_rank[s];
        if (!p->qlimit && !c->told_sync && (c->outstanding || c->waiting || c->accum)) {
            /* Limit 0 from now on: senders go synchronous and hand back
             * what credits they hold. */
            c->told_sync = 1;
            uint16_t reply = c->waiting ? FLOW_REPLY : 0; /* answers its request */
            if (c->waiting) {
                c->waiting = 0;
                rx->nwait--; /* leaves the ring: rebuilt below */
            }
            ctrl(s, FRAME_CREDIT, FLOW_SYNC | reply, index, p->gen, 0);
        } else if (p->qlimit && c->told_sync) {
            c->told_sync = 0;
            ctrl(s, FRAME_CREDIT, FLOW_ASYNC, index, p->gen, 0);
        } else if (over && c->outstanding) {
            ctrl(s, FRAME_RECALL, 0, index, p->gen, 0); /* the limit shrank */
        }
    }
    if (!p->qlimit) {
        rx->nwait = 0;
        rx->whead = 0;
        return;
    }
    grant(p, rx);
}

void flow_port_closed(struct port_rec *p, uint32_t index)
{
    struct flow_rx *rx = p->rx;
    if (!rx) return;
    /* Every sender that ever asked learns the port is gone. */
    for (int s = 0; s < ferry_w.size; s++) {
        struct credit_rec *c = &rx->by_rank[s];
        if (c->outstanding || c->waiting || c->accum || c->told_sync)
            ctrl(s, FRAME_PORT_DEAD, 0, index, p->gen, 0);
    }
    flow_port_free(p);
}
