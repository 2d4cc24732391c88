/* Sending: pick eager or rendezvous, stamp the per-(sender, port) sequence
 * number, and keep a peer's frames in order when its transport is full. */
#include <stdlib.h>

#include "include/ferry.h"
#include "runtime/core/api.h"
#include "runtime/core/world.h"
#include "runtime/port/port.h"
#include "runtime/progress/progress.h"
#include "runtime/progress/request.h"

/* Sequence numbers towards ports other than the well-known ones: an open
 * addressing table keyed by (rank, index); a new generation restarts at 0. */
static struct seq_ent {
    uint32_t rank, index, gen, used;
    uint64_t next;
} * seqs;
static size_t nseq, capseq;

static uint64_t seq_hash(uint32_t rank, uint32_t index)
{
    return ((uint64_t)rank * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)index * 0xC2B2AE3D27D4EB4FULL);
}

static struct seq_ent *seq_slot(struct seq_ent *t, size_t cap, uint32_t rank, uint32_t index)
{
    size_t i = seq_hash(rank, index) & (cap - 1);
    while (t[i].used && (t[i].rank != rank || t[i].index != index)) i = (i + 1) & (cap - 1);
    return &t[i];
}

static int seq_grow(void)
{
    size_t cap = capseq ? capseq * 2 : 64;
    struct seq_ent *t = calloc(cap, sizeof *t);
    if (!t) return FERRY_ERR_NOMEM;
    for (size_t i = 0; i < capseq; i++)
        if (seqs[i].used) *seq_slot(t, cap, seqs[i].rank, seqs[i].index) = seqs[i];
    free(seqs);
    seqs = t;
    capseq = cap;
    return FERRY_OK;
}

static int next_seq(ferry_port_t d, uint64_t *out)
{
    if (d.index == PORT_WELL_KNOWN) {
        *out = ferry_w.peers[d.rank].wk_seq++;
        return FERRY_OK;
    }
    if (2 * (nseq + 1) > capseq && seq_grow()) return FERRY_ERR_NOMEM;
    struct seq_ent *e = seq_slot(seqs, capseq, d.rank, d.index);
    if (!e->used) {
        *e = (struct seq_ent){d.rank, d.index, d.gen, 1, 0};
        nseq++;
    } else if (e->gen != d.gen) {
        e->gen = d.gen;
        e->next = 0;
    }
    *out = e->next++;
    return FERRY_OK;
}

void send_state_free(void)
{
    free(seqs);
    seqs = NULL;
    nseq = capseq = 0;
}

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

int send_control(int peer, uint16_t kind, uint64_t cookie)
{
    struct ferry_request *r = req_alloc(REQ_CTRL);
    if (!r) return FERRY_ERR_NOMEM;
    r->internal = 1;
    r->peer = peer;
    r->hdr = (struct ferry_hdr){.src = (uint32_t)ferry_w.rank, .kind = kind, .tag = cookie};
    int rc = send_frame(r);
    if (rc) {
        ferry_log("could not answer rank %d: %s", peer, ferry_strerror(rc));
        req_free(r);
    }
    return rc;
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

static int check_dest(ferry_port_t dest, const void *buf, size_t len)
{
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (dest.rank >= (uint32_t)ferry_w.size || dest.gen == 0 || (!buf && len))
        return FERRY_ERR_INVALID;
    if (!ferry_w.peers[dest.rank].tp) return FERRY_ERR_PEER;
    return FERRY_OK;
}

/* Build the request for a send; the caller hands it to send_frame. */
static int make_send(ferry_port_t dest, uint64_t tag, const void *buf, size_t len, unsigned flags,
                     struct ferry_request **out)
{
    struct ferry_request *r = req_alloc(REQ_SEND);
    if (!r) return FERRY_ERR_NOMEM;
    uint64_t seq;
    if (next_seq(dest, &seq)) {
        req_free(r);
        return FERRY_ERR_NOMEM;
    }
    r->peer = (int)dest.rank;
    r->hdr = (struct ferry_hdr){.src = (uint32_t)ferry_w.rank,
                                .kind = FRAME_EAGER,
                                .port = dest.index,
                                .gen = dest.gen,
                                .seq = seq,
                                .size = len,
                                .tag = tag};
    r->payload = buf;
    r->plen = len;
    /* A synchronous send goes by rendezvous whatever its size: its FIN
     * says a receive took it. */
    if (len > ferry_w.peers[dest.rank].tp->caps.max_eager || (flags & PORT_SEND_SYNC)) {
        r->cookie = rndv_register(r);
        if (!r->cookie) {
            req_free(r);
            return FERRY_ERR_NOMEM;
        }
        r->rndv = (struct ferry_rndv){r->cookie, (uint64_t)(uintptr_t)buf, len, 0};
        r->hdr.kind = FRAME_RTS;
        r->payload = &r->rndv;
        r->plen = sizeof r->rndv;
    }
    *out = r;
    return FERRY_OK;
}

int port_isend(ferry_port_t dest, uint64_t tag, const void *buf, size_t len, unsigned flags,
               struct ferry_request **out)
{
    int rc = check_dest(dest, buf, len);
    if (rc) return rc;
    if (!out) return FERRY_ERR_INVALID;
    struct ferry_request *r;
    if ((rc = make_send(dest, tag, buf, len, flags, &r))) return rc;
    if ((rc = send_frame(r))) {
        if (r->cookie) rndv_unregister(r->cookie);
        req_free(r);
        return rc;
    }
    *out = r;
    return FERRY_OK;
}

int port_send(ferry_port_t dest, uint64_t tag, const void *buf, size_t len, unsigned flags)
{
    int rc = check_dest(dest, buf, len);
    if (rc) return rc;
    struct ferry_peer *p = &ferry_w.peers[dest.rank];
    /* The common case: small, nothing queued ahead, room in the transport. */
    if (len <= p->tp->caps.max_eager && !p->pend_head && !(flags & PORT_SEND_SYNC)) {
        uint64_t seq;
        if (next_seq(dest, &seq)) return FERRY_ERR_NOMEM;
        struct ferry_hdr h = {.src = (uint32_t)ferry_w.rank,
                              .kind = FRAME_EAGER,
                              .port = dest.index,
                              .gen = dest.gen,
                              .seq = seq,
                              .size = len,
                              .tag = tag};
        rc = p->tp->send((int)dest.rank, &h, buf, len);
        if (rc != FERRY_ERR_WOULDBLOCK) return rc;
        /* Full: queue this very frame (its sequence number is taken). */
        struct ferry_request *r = req_alloc(REQ_SEND);
        if (!r) return FERRY_ERR_NOMEM;
        r->peer = (int)dest.rank;
        r->hdr = h;
        r->payload = buf;
        r->plen = len;
        pend_append(p, r);
        ferry_request_t req = r;
        return ferry_wait(&req, NULL);
    }
    ferry_request_t req;
    if ((rc = port_isend(dest, tag, buf, len, flags, &req))) return rc;
    return ferry_wait(&req, NULL);
}

FERRY_API int ferry_isend(ferry_port_t dest, const void *buf, size_t len, ferry_request_t *req)
{
    return port_isend(dest, 0, buf, len, 0, req);
}

FERRY_API int ferry_send(ferry_port_t dest, const void *buf, size_t len)
{
    return port_send(dest, 0, buf, len, 0);
}
