/* Sending: admit a message under the destination's flow control and send
 * mode, pick eager or rendezvous, stamp the per-(sender, port) sequence
 * number, and keep a peer's frames in order when its transport is full. */
#include <stdlib.h>
#include <string.h>

#include "include/ferry.h"
#include "runtime/core/api.h"
#include "runtime/core/world.h"
#include "runtime/port/flow.h"
#include "runtime/port/ool.h"
#include "runtime/port/port.h"
#include "runtime/progress/lock.h"
#include "runtime/progress/progress.h"
#include "runtime/progress/request.h"

static void pend_append(struct ferry_peer *p, struct ferry_request *r)
{
    r->next = NULL;
    if (p->pend_tail)
        p->pend_tail->next = r;
    else {
        p->pend_head = r;
        p->pend_next = ferry_w.pend_list;
        ferry_w.pend_list = p;
    }
    p->pend_tail = r;
}

/* The transport took r's frame: a small send is done, a large one now waits
 * for its FIN, a control frame is finished. */
static void frame_taken(struct ferry_request *r)
{
    if (r->hdr.kind != FRAME_RTS) req_complete(r, FERRY_OK);
}

int send_frame(struct ferry_request *r)
{
    struct ferry_peer *p = &ferry_w.peers[r->peer];
    if (!p->pend_head) {
        int rc = p->tp->send(r->peer, &r->hdr, r->payload, r->plen);
        if (rc == FERRY_OK) {
            frame_taken(r);
            return FERRY_OK;
        }
        if (rc != FERRY_ERR_WOULDBLOCK) return rc;
    }
    pend_append(p, r);
    return FERRY_OK;
}

int send_control_hdr(int peer, const struct ferry_hdr *h, const void *payload, size_t len)
{
    if (len > sizeof(struct ferry_rndv)) return FERRY_ERR_INVALID;
    struct ferry_request *r = req_alloc(REQ_CTRL);
    if (!r) return FERRY_ERR_NOMEM;
    r->internal = 1;
    r->peer = peer;
    r->hdr = *h;
    /* The request's own storage carries the small payload. */
    if (len) memcpy(&r->rndv, payload, len);
    r->payload = &r->rndv;
    r->plen = len;
    int rc = send_frame(r);
    if (rc) {
        ferry_log("could not send a control frame to rank %d: %s", peer, ferry_strerror(rc));
        req_free(r);
    }
    return rc;
}

int send_control(int peer, uint16_t kind, uint64_t cookie)
{
    struct ferry_hdr h = {.src = (uint32_t)ferry_w.rank, .kind = kind, .tag = cookie};
    return send_control_hdr(peer, &h, NULL, 0);
}

int pending_progress(void)
{
    int n = 0;
    for (struct ferry_peer **pp = &ferry_w.pend_list; *pp;) {
        struct ferry_peer *p = *pp;
        struct ferry_request *r;
        while ((r = p->pend_head)) {
            int rc = p->tp->send(r->peer, &r->hdr, r->payload, r->plen);
            if (rc == FERRY_ERR_WOULDBLOCK) break;
            p->pend_head = r->next;
            if (rc == FERRY_OK)
                frame_taken(r);
            else
                req_complete(r, rc);
            n++;
        }
        if (p->pend_head) {
            pp = &p->pend_next;
        } else {
            p->pend_tail = NULL;
            *pp = p->pend_next;
        }
    }
    return n;
}

int pending_active(void)
{
    return ferry_w.pend_list != NULL;
}

static int check_dest(uint32_t rank, uint32_t gen, const void *buf, size_t len)
{
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (rank >= (uint32_t)ferry_w.size || gen == 0 || (!buf && len)) return FERRY_ERR_INVALID;
    if (!ferry_w.peers[rank].tp) return FERRY_ERR_PEER;
    if (ferry_w.peers[rank].dead) return FERRY_ERR_DEAD_PORT;
    return FERRY_OK;
}

/* The payload of a message with extras: body (or rndv) then the extras
 * (extra.h), in one buffer the request owns. */
static int build_trailer(struct ferry_request *r, const void *base, size_t blen)
{
    size_t xlen = extra_wire_len(r->x);
    char *buf = malloc(blen + xlen);
    if (!buf) return FERRY_ERR_NOMEM;
    if (blen) memcpy(buf, base, blen);
    extra_encode(r->x, buf + blen);
    free(r->owned);
    r->owned = buf;
    r->payload = buf;
    r->plen = blen + xlen;
    r->hdr.flags |= MSG_TRAILER;
    return FERRY_OK;
}

void send_admitted(struct dest *e, struct ferry_request *r)
{
    r->hdr.seq = e->next_seq++;
    int once = (e->index & PORT_ONCE_BIT) != 0;
    if (e->bounded && !e->sync && !once && !(r->hdr.flags & MSG_NOTIFY) &&
        !(r->flags & PORT_SEND_FREE)) {
        e->credits--;
        r->hdr.flags |= MSG_CREDIT;
    }
    /* A synchronous send goes by rendezvous whatever its size: its FIN
     * says a receive took it. */
    int rc = FERRY_OK;
    if (r->blen > ferry_w.peers[r->peer].tp->caps.max_eager || e->sync ||
        (r->flags & PORT_SEND_SYNC)) {
        r->cookie = rndv_register(r);
        if (!r->cookie) rc = FERRY_ERR_NOMEM;
        r->rndv = (struct ferry_rndv){r->cookie, (uint64_t)(uintptr_t)r->body, r->blen,
                                      r->iovcnt ? FERRY_RNDV_IOV | r->iovcnt : 0};
        r->hdr.kind = FRAME_RTS;
        r->payload = &r->rndv;
        r->plen = sizeof r->rndv;
    } else {
        r->payload = r->body;
        r->plen = r->blen;
    }
    if (!rc && r->x) rc = build_trailer(r, r->payload, r->plen);
    if (!rc) rc = send_frame(r);
    if (rc) {
        if (r->cookie) rndv_unregister(r->cookie);
        r->cookie = 0;
        req_complete(r, rc);
    }
}

static int asked(void *arg)
{
    struct dest *e = arg;
    return !e->requested || e->dead;
}

/* Start a send under dest's flow control. On success *out is the request
 * (done once the message is accepted, or for a large one, pulled). */
/* The port name goes as its three words on the send path: as a 12-byte
 * struct it was spilled to the stack as 8+4 bytes and read back as 4+8, a
 * store-forwarding stall on every send (the costliest instruction of a
 * small send by perf). */
static int start_sendv(uint32_t rank, uint32_t index, uint32_t gen, uint64_t tag, const void *buf,
                       size_t len, uint32_t iovcnt, struct msg_extra *x, unsigned flags,
                       enum ferry_send_mode mode, ferry_port_t notify, struct ferry_request **out)
{
    int rc = check_dest(rank, gen, buf, len);
    if (rc) {
        extra_free(x, 0);
        return rc;
    }
    const ferry_port_t dest = {rank, index, gen};
    struct dest *e = dest_at(rank, index, gen);
    if (!e) {
        extra_free(x, 0);
        return FERRY_ERR_NOMEM;
    }
    if (e->dead) {
        extra_free(x, 0);
        return FERRY_ERR_DEAD_PORT;
    }
    struct ferry_request *r = req_alloc(REQ_SEND);
    if (!r) {
        extra_free(x, 0);
        return FERRY_ERR_NOMEM;
    }
    r->peer = (int)dest.rank;
    r->hdr = (struct ferry_hdr){.src = (uint32_t)ferry_w.rank,
                                .kind = FRAME_EAGER,
                                .port = dest.index,
                                .gen = dest.gen,
                                .size = len,
                                .tag = tag};
    r->body = buf;
    r->blen = len;
    r->iovcnt = iovcnt;
    r->x = x;
    r->flags = (uint8_t)flags;
    r->mode = (uint8_t)mode;
    int once = (dest.index & PORT_ONCE_BIT) != 0;
    if (e->bounded && !once && !(flags & PORT_SEND_FREE) && !e->sync && !e->credits &&
        !e->waitq.head && !e->requested &&
        (mode == FERRY_SEND_NOWAIT || mode == FERRY_SEND_NOTIFY)) {
        /* No credit may only mean we never asked: learn whether the port is
         * really full before failing or going beyond its limit. (A request
         * still unanswered means it is: room would have been granted.) A
         * send that needs no credit never asks: a notification sent while
         * a frame is handled must not wait on the receiver. */
        flow_request(e, 1);
        progress_wait(asked, e, FERRY_FOREVER);
        if (e->dead) {
            req_free(r);
            return FERRY_ERR_DEAD_PORT;
        }
    }
    if (!e->bounded || once || (flags & PORT_SEND_FREE) || e->sync ||
        (e->credits && !e->waitq.head)) {
        send_admitted(e, r);
    } else {
        switch (mode) {
        case FERRY_SEND_NOWAIT:
            req_free(r);
            return FERRY_ERR_WOULDBLOCK;
        case FERRY_SEND_NOTIFY:
            if (e->notify_pending) {
                req_free(r);
                return FERRY_ERR_NOTIFY_PENDING;
            }
            e->notify_pending = 1;
            e->notify = notify;
            r->hdr.flags |= MSG_NOTIFY;
            send_admitted(e, r);
            break;
        default:
            /* Queued first: with a rank's own port the credits may arrive
             * within the request, and they go to what waits. */
            reqq_append(&e->waitq, r);
            flow_request(e, 0);
        }
    }
    *out = r;
    return FERRY_OK;
}

static int start_send(ferry_port_t dest, uint64_t tag, const void *buf, size_t len,
                      struct msg_extra *x, unsigned flags, enum ferry_send_mode mode,
                      ferry_port_t notify, struct ferry_request **out)
{
    return start_sendv(dest.rank, dest.index, dest.gen, tag, buf, len, 0, x, flags, mode, notify,
                       out);
}

static int req_done(void *arg)
{
    return ((struct ferry_request *)arg)->done;
}

/* Wait for a send; on timeout withdraw it if it was never accepted
 * (*withdrawn: it never left this rank). */
static int finish_send(ferry_port_t dest, struct ferry_request *r, int timeout_ms, int *withdrawn)
{
    int rc = progress_wait(req_done, r, timeout_ms);
    if (rc == FERRY_ERR_TIMEOUT) {
        struct dest *e = dest_get(dest);
        if (e && reqq_remove(&e->waitq, r)) {
            req_free(r);
            if (withdrawn) *withdrawn = 1;
            return FERRY_ERR_TIMEOUT;
        }
        /* Sent by rendezvous and not yet taken: ask the receiver to drop
         * it. Its answer (taken after all, or dropped) decides. */
        if (r->cookie) {
            struct ferry_hdr h = {.src = (uint32_t)ferry_w.rank,
                                  .kind = FRAME_CANCEL,
                                  .port = dest.index,
                                  .gen = dest.gen,
                                  .tag = r->cookie};
            send_control_hdr((int)dest.rank, &h, NULL, 0);
        }
        progress_wait(req_done, r, FERRY_FOREVER);
    }
    ferry_request_t req = r;
    return ferry_wait(&req, NULL);
}

static int send_fast(uint32_t rank, uint32_t index, uint32_t gen, uint64_t tag, const void *buf,
                     size_t len);

int port_isend(ferry_port_t dest, uint64_t tag, const void *buf, size_t len, unsigned flags,
               struct ferry_request **out)
{
    if (!out) return FERRY_ERR_INVALID;
    /* A small send the transport takes at once is complete on return: it
     * needs no request of its own, and waiting on the shared completed one
     * costs nothing (as Open MPI's immediate sends return a completed one). */
    if (!flags && check_dest(dest.rank, dest.gen, buf, len) == FERRY_OK &&
        send_fast(dest.rank, dest.index, dest.gen, tag, buf, len) == FERRY_OK) {
        *out = req_sent();
        return FERRY_OK;
    }
    return start_send(dest, tag, buf, len, NULL, flags, FERRY_SEND_BLOCK, FERRY_PORT_NULL, out);
}

int port_sendv_ok(ferry_port_t dest, size_t len)
{
    if (!ferry_w.initialized || dest.rank >= (uint32_t)ferry_w.size) return 0;
    const struct ferry_transport_ops *tp = ferry_w.peers[dest.rank].tp;
    /* Larger than eager, so always by rendezvous: never copied into a frame. */
    return tp && tp->caps.pull_iov && len > tp->caps.max_eager;
}

int port_isendv(ferry_port_t dest, uint64_t tag, const struct iovec *iov, uint32_t iovcnt,
                size_t len, unsigned flags, struct ferry_request **out)
{
    if (!out || !iov || !iovcnt || !port_sendv_ok(dest, len)) return FERRY_ERR_INVALID;
    return start_sendv(dest.rank, dest.index, dest.gen, tag, iov, len, iovcnt, NULL, flags,
                       FERRY_SEND_BLOCK, FERRY_PORT_NULL, out);
}

uint64_t ferry_rndv_key(uint64_t cookie)
{
    struct ferry_request *r = rndv_lookup(cookie);
    return r ? r->rndv.key : 0;
}

/* The common case without a request: small, admitted at once, nothing
 * queued ahead, room in the transport. Returns FERRY_ERR_BUSY otherwise.
 * The name goes as its words (see start_sendv). */
static int send_fast(uint32_t rank, uint32_t index, uint32_t gen, uint64_t tag, const void *buf,
                     size_t len)
{
    struct ferry_peer *p = &ferry_w.peers[rank];
    if (len > p->tp->caps.max_eager || p->pend_head) return FERRY_ERR_BUSY;
    struct dest *e = dest_at(rank, index, gen);
    if (!e || e->dead || e->sync || e->waitq.head) return FERRY_ERR_BUSY;
    int credit = e->bounded && !(index & PORT_ONCE_BIT);
    if (credit && !e->credits) return FERRY_ERR_BUSY;
    struct ferry_hdr h = {.src = (uint32_t)ferry_w.rank,
                          .kind = FRAME_EAGER,
                          .flags = credit ? MSG_CREDIT : 0,
                          .port = index,
                          .gen = gen,
                          .seq = e->next_seq,
                          .size = len,
                          .tag = tag};
    int rc = p->tp->send((int)rank, &h, buf, len);
    if (rc == FERRY_ERR_WOULDBLOCK) return FERRY_ERR_BUSY;
    if (rc == FERRY_OK) {
        e->next_seq++;
        e->credits -= (uint32_t)credit;
    }
    return rc;
}

int port_send(ferry_port_t dest, uint64_t tag, const void *buf, size_t len, unsigned flags)
{
    int rc = check_dest(dest.rank, dest.gen, buf, len);
    if (rc) return rc;
    if (!(flags & PORT_SEND_SYNC)) {
        /* Out of credits or ring space is usually brief while the receiver
         * drains: poll a little for what it hands back before queueing. */
        for (int spin = 0; spin < 64; spin++) {
            if ((rc = send_fast(dest.rank, dest.index, dest.gen, tag, buf, len)) != FERRY_ERR_BUSY)
                return rc;
            progress_once();
        }
    }
    struct ferry_request *r;
    if ((rc = port_isend(dest, tag, buf, len, flags, &r))) return rc;
    return finish_send(dest, r, FERRY_FOREVER, NULL);
}

FERRY_API int ferry_isend(ferry_port_t dest, const void *buf, size_t len, ferry_request_t *req)
{
    LOCKED();
    return port_isend(dest, 0, buf, len, 0, req);
}

FERRY_API int ferry_send(ferry_port_t dest, const void *buf, size_t len)
{
    LOCKED();
    return port_send(dest, 0, buf, len, 0);
}

/* The extras of m: its reply port, port names and regions. Between ranks
 * sharing a heap a region travels as an offset (copies made here are
 * flagged in copied); to another node it stays where it is and the
 * receiver pulls it (*remote). NULL *out: no extras. */
static int make_extra(const ferry_message_t *m, struct msg_extra **out, uint8_t *copied,
                      int *remote)
{
    *out = NULL;
    *remote = 0;
    if (!m->nports && !m->reply.gen && !m->nregions) return FERRY_OK;
    struct msg_extra *x = extra_new(m->reply, (uint32_t)m->nports, (uint32_t)m->nregions);
    if (!x) return FERRY_ERR_NOMEM;
    if (m->nports) memcpy(x->ports, m->ports, m->nports * sizeof *m->ports);
    int self = m->dest.rank == (uint32_t)ferry_w.rank;
    int shared = self || ferry_is_local((int)m->dest.rank);
    if (m->nregions && (!shared || (ool_force_pull() && !self))) {
        for (size_t i = 0; i < m->nregions; i++) {
            x->regions[i] = (struct msg_region){(uint64_t)(uintptr_t)m->regions[i].addr,
                                                m->regions[i].len | REGION_REMOTE};
            copied[i] = 0;
        }
        *remote = 1;
        *out = x;
        return FERRY_OK;
    }
    uint64_t off[FERRY_MSG_REGIONS_MAX];
    int rc = ool_prepare(m->regions, m->nregions, off, copied);
    if (rc) {
        extra_free(x, 0);
        return rc;
    }
    for (size_t i = 0; i < m->nregions; i++)
        x->regions[i] = (struct msg_region){off[i], m->regions[i].len};
    *out = x;
    return FERRY_OK;
}

FERRY_API int ferry_msg_send(const ferry_message_t *m, enum ferry_send_mode mode, int timeout_ms,
                             ferry_port_t notify)
{
    LOCKED();
    if (!m || mode > FERRY_SEND_NOTIFY || (mode == FERRY_SEND_TIMEOUT && timeout_ms < 0) ||
        m->nports > FERRY_MSG_PORTS_MAX || (m->nports && !m->ports) ||
        m->nregions > FERRY_MSG_REGIONS_MAX || (m->nregions && !m->regions))
        return FERRY_ERR_INVALID;
    if (mode == FERRY_SEND_NOTIFY && (notify.rank >= (uint32_t)ferry_w.size || !notify.gen))
        return FERRY_ERR_INVALID;
    int rc = check_dest(m->dest.rank, m->dest.gen, m->body, m->len);
    if (rc) return rc;
    struct msg_extra *x;
    uint8_t copied[FERRY_MSG_REGIONS_MAX];
    int remote;
    if ((rc = make_extra(m, &x, copied, &remote))) return rc;
    /* The regions' offsets, kept in case the send fails: then the copies
     * made here go back to the heap and moved regions stay the sender's. */
    struct msg_region regions[FERRY_MSG_REGIONS_MAX];
    size_t nregions = x ? x->nregions : 0;
    if (nregions) memcpy(regions, x->regions, nregions * sizeof *regions);
    struct ferry_request *r;
    int unsent = 0;
    /* Regions to be pulled need the sender's memory until the receiver is
     * done: the send completes with its FIN. */
    rc = start_send(m->dest, m->id, m->body, m->len, x, remote ? PORT_SEND_SYNC : 0, mode, notify,
                    &r);
    if (rc)
        unsent = 1;
    else
        rc = finish_send(m->dest, r, mode == FERRY_SEND_TIMEOUT ? timeout_ms : FERRY_FOREVER,
                         &unsent);
    /* A message that reached the receiver is its to release, even when it
     * was dropped there; only one that never left is still ours. */
    if (unsent)
        for (size_t i = 0; i < nregions; i++)
            if (copied[i]) ool_release(regions[i].off);
    /* Pulled regions that were heap blocks moved: the sender's copy goes. */
    if (remote && !rc)
        for (size_t i = 0; i < m->nregions; i++) ool_release_ptr(m->regions[i].addr);
    return rc;
}

void send_notification(ferry_port_t to, uint64_t id, ferry_port_t about)
{
    if (to.rank >= (uint32_t)ferry_w.size || !ferry_w.peers[to.rank].tp) return;
    struct ferry_port *body = malloc(sizeof *body);
    if (!body) return;
    *body = about;
    struct ferry_request *r;
    /* Like Mach's send-once notifications: no credit, never a wait. */
    int rc = start_send(to, id, body, sizeof *body, NULL, PORT_SEND_FREE, FERRY_SEND_NOWAIT,
                        FERRY_PORT_NULL, &r);
    if (rc) {
        free(body);
        return;
    }
    r->owned = body;
    r->internal = 1;
    if (r->done) req_free(r);
}
