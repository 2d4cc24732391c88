/* Frames arriving from transports: messages go to a posted receive or the
 * port's queue; FIN and DEAD complete large sends; the flow-control frames
 * go to flow.c. Everything in a frame is checked before use. */
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "include/ferry.h"
#include "runtime/core/world.h"
#include "runtime/port/flow.h"
#include "runtime/port/ool.h"
#include "runtime/port/port.h"
#include "runtime/progress/request.h"

/* Receives whose payload is being pulled, oldest first. */
static struct req_queue pulling = {NULL, &pulling.head};

static void fill_status(struct ferry_request *r, const struct ferry_hdr *h,
                        const struct msg_extra *x)
{
    r->status.source = (int)h->src;
    r->status.port = (ferry_port_t){(uint32_t)ferry_w.rank, h->port, h->gen};
    r->status.size = h->size;
    r->status.seq = h->seq;
    r->status.id = h->tag;
    r->reply = x ? x->reply : FERRY_PORT_NULL;
    r->nports = x ? x->nports : 0;
    r->nregions = 0;
}

static int pulls_done(const struct ferry_request *r)
{
    if (!r->pull.done) return 0;
    for (uint32_t i = 0; i < r->nxpulls; i++)
        if (!r->xpulls[i].done) return 0;
    return 1;
}

/* Copy n bytes of src into the regions of a scattered receive buffer. */
static void scatter(const struct port_iov *d, const void *src, size_t n)
{
    const char *s = src;
    for (uint32_t i = 0; i < d->n && n; i++) {
        size_t k = d->iov[i].iov_len < n ? d->iov[i].iov_len : n;
        memcpy(d->iov[i].iov_base, s, k);
        s += k;
        n -= k;
    }
}

/* Copy a message's n bytes into a receive's buffer, contiguous or not. */
static void land(const struct ferry_request *r, const void *src, size_t n)
{
    if (!n) return;
    if (r->flags & PORT_RECV_IOV)
        scatter(r->buf, src, n);
    else
        memcpy(r->buf, src, n);
}

static void finish_pull(struct ferry_request *r)
{
    send_control(r->peer, FRAME_FIN, r->rndv.cookie);
    int error = r->pull.error;
    if (r->owned) {
        /* Pulled whole by a transport that cannot scatter: scatter now. */
        if (!error) land(r, r->owned, r->rndv.len);
        free(r->owned);
        r->owned = NULL;
    }
    for (uint32_t i = 0; i < r->nxpulls && !error; i++) error = r->xpulls[i].error;
    if (error && r->nxpulls) {
        /* The pulled regions are incomplete: they go back to the heap. */
        for (uint32_t i = 0; i < r->nxpulls; i++) ool_release(r->xoffs[i]);
        r->nregions = 0;
    }
    req_complete(r, error);
}

/* Start pulling the regions of x that stay in the sender's memory into new
 * blocks of this rank's heap. */
static int pull_regions(struct ferry_request *r, const struct ferry_rndv *rndv,
                        const struct msg_extra *x)
{
    const struct ferry_transport_ops *tp = ferry_w.peers[r->peer].tp;
    r->xpulls = calloc(x->nregions, sizeof *r->xpulls);
    r->xoffs = calloc(x->nregions, sizeof *r->xoffs);
    if (!r->xpulls || !r->xoffs) return FERRY_ERR_NOMEM;
    for (uint32_t i = 0; i < x->nregions; i++) {
        uint64_t len = REGION_LEN(x->regions[i]);
        uint64_t off = ool_alloc(len);
        if (!off) return FERRY_ERR_NOMEM;
        r->xoffs[i] = off;
        r->nxpulls = i + 1;
        r->regions[i] = (ferry_region_t){ool_addr(off), len};
        struct ferry_rndv d = {rndv->cookie, x->regions[i].off, len, rndv->key};
        int rc = tp->pull(r->peer, &d, ool_addr(off), &r->xpulls[i]);
        if (rc) return rc;
    }
    return FERRY_OK;
}

int deliver_to_request(struct ferry_request *r, const struct ferry_hdr *h,
                       const struct ferry_rndv *rndv, const void *data, const struct msg_extra *x)
{
    fill_status(r, h, x);
    int extras_fit = !x || !(r->flags & PORT_RECV_PORTS) ||
                     (x->nports <= r->ports_cap && x->nregions <= r->regions_cap);
    if (h->size > r->cap || !extras_fit) {
        if (x && (r->flags & PORT_RECV_PORTS)) r->nregions = x->nregions; /* what came */
        if (!(r->flags & PORT_RECV_CONSUME)) {
            req_complete(r, FERRY_ERR_TRUNCATE);
            return 0;
        }
        /* MPI's rule: the receive fails and the message is gone. Keep what
         * fits of a small one; release a large one's sender unread. */
        if (h->kind == FRAME_EAGER) land(r, data, r->cap);
        if (h->kind == FRAME_RTS) send_control((int)h->src, FRAME_FIN, rndv->cookie);
        req_complete(r, FERRY_ERR_TRUNCATE);
        return 1;
    }
    int remote = extra_has_remote(x);
    if (x && (r->flags & PORT_RECV_PORTS)) {
        if (x->nports) memcpy(r->ports, x->ports, x->nports * sizeof *x->ports);
        /* The regions become the receiver's: the caller keeps them. */
        for (uint32_t i = 0; i < x->nregions && !remote; i++)
            r->regions[i] = (ferry_region_t){ool_addr(x->regions[i].off), x->regions[i].len};
        r->nregions = x->nregions;
    }
    if (h->kind == FRAME_EAGER) {
        land(r, data, h->size);
        req_complete(r, FERRY_OK);
        return 1;
    }
    r->peer = (int)h->src;
    r->rndv = *rndv;
    const struct ferry_transport_ops *tp = ferry_w.peers[r->peer].tp;
    int rc = remote && r->nregions ? pull_regions(r, rndv, x) : FERRY_OK;
    void *dst = r->buf;
    r->pull.dst_iov = NULL;
    r->pull.dst_iovcnt = 0;
    if (r->flags & PORT_RECV_IOV) {
        const struct port_iov *d = r->buf;
        if (tp->caps.pull_iov) {
            r->pull.dst_iov = d->iov;
            r->pull.dst_iovcnt = d->n;
            dst = NULL;
        } else if (!rc && !(dst = r->owned = malloc(rndv->len ? rndv->len : 1))) {
            rc = FERRY_ERR_NOMEM;
        }
    }
    if (!rc) rc = tp->pull(r->peer, rndv, dst, &r->pull);
    if (rc) {
        /* Pulls already started must land before the sender is released. */
        r->pull.error = rc;
        r->pull.done = 1;
    }
    if (pulls_done(r))
        finish_pull(r);
    else
        reqq_append(&pulling, r);
    return 1;
}

int pulls_progress(void)
{
    int n = 0;
    struct ferry_request **pp = &pulling.head;
    while (*pp) {
        struct ferry_request *r = *pp;
        if (!pulls_done(r)) {
            pp = &r->next;
            continue;
        }
        reqq_remove(&pulling, r);
        finish_pull(r);
        n++;
    }
    return n;
}

int pulls_active(void)
{
    return pulling.head != NULL;
}

void msg_taken(struct port_rec *p, const struct ferry_hdr *h, int was_queued)
{
    p->recv_seq++;
    if (h->flags & MSG_CREDIT) {
        if (was_queued) p->queued--;
        flow_credit_freed(p, h->src);
    }
    if (h->flags & MSG_NOTIFY) flow_notify_taken(p, h->src);
}

/* The first posted receive on p, or on the set p belongs to, that accepts h. */
static struct ferry_request *take_posted(struct port_rec *p, const struct ferry_hdr *h)
{
    struct ferry_request *r = reqq_take(&p->posted, h);
    if (!r && p->set != NO_SET) r = reqq_take(&port_at(p->set)->posted, h);
    return r;
}

/* Offer a message to posted receives, else queue it. Takes ownership of x. */
static void accept_message(struct port_rec *p, const struct ferry_hdr *h,
                           const struct ferry_rndv *rndv, const void *body, struct msg_extra *x)
{
    struct ferry_request *r;
    while ((r = take_posted(p, h))) {
        /* Truncated and kept: that receive failed, the message stays. */
        if (!deliver_to_request(r, h, rndv, body, x)) continue;
        msg_taken(p, h, 0);
        extra_free(x, !r->nregions || r->error);
        return;
    }
    size_t data = h->kind == FRAME_EAGER ? h->size : 0;
    struct ferry_msg *m = malloc(sizeof *m + data);
    if (!m) {
        ferry_log("out of memory queueing a %zu-byte message from rank %u", data, h->src);
        abort();
    }
    m->h = *h;
    if (h->kind == FRAME_RTS) m->rndv = *rndv;
    m->x = x;
    if (data) memcpy(m->data, body, data);
    msgq_append(&p->unexpected, m);
    if (h->flags & MSG_CREDIT) p->queued++;
}

/* A message for a port of this rank. The transport vouched for h->src. */
static void on_message(const struct ferry_hdr *h, const void *payload, size_t len)
{
    struct ferry_rndv rndv = {0};
    size_t base = h->kind == FRAME_RTS ? sizeof rndv : h->size;
    if (h->src >= (uint32_t)ferry_w.size || len < base) goto malformed;
    struct msg_extra *x = NULL;
    long xlen = 0;
    if (h->flags & MSG_TRAILER) xlen = extra_decode((const char *)payload + len, len - base, &x);
    /* Regions left in the sender's memory come only with large sends, whose
     * sender waits for the FIN; and only from another heap's ranks. */
    if (xlen < 0 || base + (size_t)xlen != len || (extra_has_remote(x) && h->kind != FRAME_RTS)) {
        extra_free(x, 0);
        goto malformed;
    }
    if (h->kind == FRAME_RTS) {
        memcpy(&rndv, payload, sizeof rndv);
        if (rndv.len != h->size) {
            extra_free(x, 0);
            goto malformed;
        }
    }
    struct port_rec *p = port_lookup(h->port, h->gen);
    int once = (h->port & PORT_ONCE_BIT) != 0;
    /* A reply port takes exactly one message. */
    if (p && (p->is_set || once != p->once || (once && p->recv_seq + p->unexpected.count)))
        p = NULL;
    if (p && (h->flags & MSG_CREDIT) && !flow_on_arrival(p, h->src)) p = NULL;
    if (!p) {
        /* A large send waits for an answer; an eager one already returned
         * and is dropped, as Mach drops messages of a destroyed port. */
        if (h->kind == FRAME_RTS) send_control((int)h->src, FRAME_DEAD, rndv.cookie);
        extra_free(x, 1);
        return;
    }
    accept_message(p, h, &rndv, payload, x);
    return;
malformed:
    ferry_log("dropping a malformed frame from rank %u (kind %u, %zu bytes)", h->src, h->kind, len);
}

static void on_send_done(const struct ferry_hdr *h, int error)
{
    struct ferry_request *r = rndv_lookup(h->tag);
    if (!r || r->peer != (int)h->src) {
        ferry_log("dropping an answer for an unknown large send from rank %u", h->src);
        return;
    }
    rndv_unregister(h->tag);
    r->cookie = 0;
    req_complete(r, error);
}

/* The sender of a timed-out synchronous send withdraws it: only a message
 * still waiting in the queue can go. */
void cancel_large_send(struct port_rec *p, uint32_t src, uint64_t cookie)
{
    if (!p) return; /* dead: its queue already answered DEAD */
    for (struct ferry_msg *m = p->unexpected.head; m; m = m->next) {
        if (m->h.kind != FRAME_RTS || m->h.src != src || m->rndv.cookie != cookie) continue;
        msgq_remove(&p->unexpected, m);
        if (m->h.flags & MSG_CREDIT) {
            p->queued--;
            flow_credit_freed(p, src);
        }
        send_control((int)src, FRAME_CANCELLED, cookie);
        msg_free(m);
        return;
    }
}

void frame_arrived(const struct ferry_hdr *h, const void *payload, size_t len)
{
    switch (h->kind) {
    case FRAME_EAGER:
    case FRAME_RTS:
        on_message(h, payload, len);
        break;
    case FRAME_FIN:
        on_send_done(h, FERRY_OK);
        break;
    case FRAME_DEAD:
        on_send_done(h, FERRY_ERR_DEAD_PORT);
        break;
    case FRAME_CANCELLED:
        on_send_done(h, FERRY_ERR_TIMEOUT);
        break;
    case FRAME_CREDIT:
    case FRAME_RECALL:
    case FRAME_PORT_DEAD:
    case FRAME_ROOM:
        flow_on_sender_frame(h, payload, len);
        break;
    case FRAME_WATCH_FIRED:
        watch_on_fired(h);
        break;
    case FRAME_CREDIT_REQ:
    case FRAME_CREDIT_RETURN:
    case FRAME_WATCH:
    case FRAME_CANCEL:
        flow_on_receiver_frame(h, payload, len);
        break;
    default:
        ferry_log("dropping a frame of unknown kind %u from rank %u", h->kind, h->src);
    }
}

int ferry_rndv_check(uint64_t cookie, uint64_t addr, uint64_t len)
{
    struct ferry_request *r = rndv_lookup(cookie);
    if (!r) return 0;
    if (r->rndv.addr == addr && r->rndv.len == len) return 1;
    /* Or one of the regions the send leaves for the receiver to pull. */
    for (uint32_t i = 0; r->x && i < r->x->nregions; i++)
        if ((r->x->regions[i].len & REGION_REMOTE) && r->x->regions[i].off == addr &&
            REGION_LEN(r->x->regions[i]) == len)
            return 1;
    return 0;
}
