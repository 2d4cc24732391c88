/* Frames arriving from transports: messages go to a posted receive or the
 * port's queue; FIN and DEAD complete large sends. */
#include <stdlib.h>
#include <string.h>

#include "include/ferry.h"
#include "runtime/core/world.h"
#include "runtime/port/port.h"
#include "runtime/progress/request.h"

/* Receives whose payload is being pulled, oldest first. */
static struct req_queue pulling = {NULL, &pulling.head};

static void fill_status(struct ferry_request *r, const struct ferry_hdr *h)
{
    r->status.source = (int)h->src;
    r->status.port = (ferry_port_t){(uint32_t)ferry_w.rank, h->port, h->gen};
    r->status.size = h->size;
    r->status.seq = h->seq;
    r->status.id = h->tag;
}

static void finish_pull(struct ferry_request *r)
{
    send_control(r->peer, FRAME_FIN, r->rndv.cookie);
    req_complete(r, r->pull.error);
}

int deliver_to_request(struct ferry_request *r, const struct ferry_hdr *h,
                       const struct ferry_rndv *rndv, const void *data)
{
    fill_status(r, h);
    if (h->size > r->cap) {
        if (!(r->flags & PORT_RECV_CONSUME)) {
            req_complete(r, FERRY_ERR_TRUNCATE);
            return 0;
        }
        /* MPI's rule: the receive fails and the message is gone. Keep what
         * fits of a small one; release a large one's sender unread. */
        if (h->kind == FRAME_EAGER && r->cap) memcpy(r->buf, data, r->cap);
        if (h->kind == FRAME_RTS) send_control((int)h->src, FRAME_FIN, rndv->cookie);
        req_complete(r, FERRY_ERR_TRUNCATE);
        return 1;
    }
    if (h->kind == FRAME_EAGER) {
        if (h->size) memcpy(r->buf, data, h->size);
        req_complete(r, FERRY_OK);
        return 1;
    }
    r->peer = (int)h->src;
    r->rndv = *rndv;
    const struct ferry_transport_ops *tp = ferry_w.peers[r->peer].tp;
    int rc = tp->pull(r->peer, rndv, r->buf, &r->pull);
    if (rc) {
        r->pull.error = rc;
        r->pull.done = 1;
    }
    if (r->pull.done)
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
        if (!r->pull.done) {
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

/* A message for a port of this rank. The transport vouched for h->src. */
static void on_message(const struct ferry_hdr *h, const void *payload, size_t len)
{
    struct ferry_rndv rndv;
    if (h->kind == FRAME_RTS) {
        if (len != sizeof rndv) goto malformed;
        memcpy(&rndv, payload, sizeof rndv);
        if (rndv.len != h->size) goto malformed;
    } else if (len != h->size) {
        goto malformed;
    }
    struct port_rec *p = port_lookup(h->port, h->gen);
    if (!p) {
        /* A large send waits for an answer; an eager one already returned. */
        if (h->kind == FRAME_RTS) send_control((int)h->src, FRAME_DEAD, rndv.cookie);
        return;
    }
    struct ferry_request *r;
    while ((r = reqq_take(&p->posted, h))) {
        /* Truncated and kept: that receive failed, the message stays. */
        if (!deliver_to_request(r, h, &rndv, payload)) continue;
        p->recv_seq++;
        return;
    }
    size_t data = h->kind == FRAME_EAGER ? len : 0;
    struct ferry_msg *m = malloc(sizeof *m + data);
    if (!m) {
        ferry_log("out of memory queueing a %zu-byte message from rank %u", len, h->src);
        abort();
    }
    m->h = *h;
    if (h->kind == FRAME_RTS) m->rndv = rndv;
    if (data) memcpy(m->data, payload, data);
    msgq_append(&p->unexpected, m);
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
    req_complete(r, error);
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
    default:
        ferry_log("dropping a frame of unknown kind %u from rank %u", h->kind, h->src);
    }
}

int ferry_rndv_check(uint64_t cookie, uint64_t addr, uint64_t len)
{
    struct ferry_request *r = rndv_lookup(cookie);
    return r && r->rndv.addr == addr && r->rndv.len == len;
}
