/* Receiving from a port this rank holds the receive right of: receives,
 * probes and matched-probe handles, each with a match on source and tag. */
#include <stdlib.h>

#include "include/ferry.h"
#include "runtime/core/api.h"
#include "runtime/core/world.h"
#include "runtime/port/port.h"
#include "runtime/progress/progress.h"
#include "runtime/progress/request.h"
#include "runtime/progress/lock.h"

/* The native API's match, built once rather than on the stack per call. */
static const struct match match_any = MATCH_ANY;

static int own_port(ferry_port_t port, struct port_rec **out)
{
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (port.rank != (uint32_t)ferry_w.rank) return FERRY_ERR_NOT_RECEIVER;
    *out = port_lookup(port.index, port.gen);
    return *out ? FERRY_OK : FERRY_ERR_DEAD_PORT;
}

/* Give r the first message of q it accepts, if any: 1 when r is done with
 * it (taken, or truncated and kept). */
static int take_queued(struct port_rec *q, struct ferry_request *r)
{
    struct ferry_msg *m = msgq_find(&q->unexpected, &r->m);
    if (!m) return 0;
    if (!deliver_to_request(r, &m->h, &m->rndv, m->data, m->x)) return 1; /* truncated, kept */
    msgq_remove(&q->unexpected, m);
    msg_taken(q, &m->h, 1);
    if (r->nregions && !r->error) {
        extra_free(m->x, 0); /* the regions are the receiver's now */
        m->x = NULL;
    }
    msg_free(m);
    return 1;
}

/* Match r against the queue (for a set: its members' queues in turn, so
 * no member starves the others), or post it. */
static void post(struct port_rec *p, struct ferry_request *r)
{
    if (!p->is_set) {
        if (!take_queued(p, r)) reqq_append(&p->posted, r);
        return;
    }
    for (uint32_t k = 0; k < p->nmembers; k++) {
        uint32_t i = (p->rr + k) % p->nmembers;
        if (take_queued(port_at(p->members[i]), r)) {
            p->rr = (i + 1) % p->nmembers;
            return;
        }
    }
    reqq_append(&p->posted, r);
}

void set_offer_queued(struct port_rec *set, struct port_rec *member)
{
    struct ferry_request *r;
    while ((r = set->posted.head) && msgq_find(&member->unexpected, &r->m)) {
        reqq_remove(&set->posted, r);
        take_queued(member, r);
    }
}

static int start_recv(ferry_port_t port, const struct match *m, void *buf, size_t cap,
                      unsigned flags, ferry_message_t *mm, struct ferry_request **out)
{
    struct port_rec *p;
    int rc = own_port(port, &p);
    if (rc) return rc;
    if (!out || (!buf && cap)) return FERRY_ERR_INVALID;
    struct ferry_request *r = req_alloc(REQ_RECV);
    if (!r) return FERRY_ERR_NOMEM;
    r->buf = buf;
    r->cap = cap;
    r->port = port_index_of(p);
    /* Field by field: callers build the match on their stack in pieces
     * (MPI's receives), and a load spanning two of those stores stalls;
     * the empty asm keeps the compiler from merging the reads. */
    r->m.src = m->src;
    __asm__ volatile("" ::: "memory");
    r->m.tag = m->tag;
    __asm__ volatile("" ::: "memory");
    r->m.mask = m->mask;
    r->flags = (uint8_t)flags;
    if (mm) {
        r->ports = mm->ports;
        r->ports_cap = (uint32_t)mm->nports;
        r->regions = mm->regions;
        r->regions_cap = (uint32_t)mm->nregions;
    }
    post(p, r);
    *out = r;
    return FERRY_OK;
}

int port_irecv(ferry_port_t port, const struct match *m, void *buf, size_t cap, unsigned flags,
               struct ferry_request **out)
{
    return start_recv(port, m, buf, cap, flags, NULL, out);
}

static int req_done(void *arg)
{
    return ((struct ferry_request *)arg)->done;
}

int port_recv(ferry_port_t port, const struct match *m, void *buf, size_t cap, unsigned flags,
              ferry_status_t *status, int timeout_ms)
{
    if (timeout_ms < FERRY_FOREVER) return FERRY_ERR_INVALID;
    ferry_request_t r;
    int rc = port_irecv(port, m, buf, cap, flags, &r);
    if (rc) return rc;
    rc = progress_wait(req_done, r, timeout_ms);
    if (rc == FERRY_ERR_TIMEOUT && port_recv_cancel(r)) {
        req_free(r);
        return FERRY_ERR_TIMEOUT;
    }
    return ferry_wait(&r, status);
}

int port_recv_cancel(struct ferry_request *r)
{
    if (r->done || r->kind != REQ_RECV) return 0;
    /* Only a receive still posted can be withdrawn; a matched one is
     * already pulling its message and finishes soon. */
    struct port_rec *p = port_lookup_index(r->port);
    return p && reqq_remove(&p->posted, r);
}

static void msg_status(const struct ferry_msg *m, ferry_status_t *st)
{
    if (!st) return;
    st->source = (int)m->h.src;
    st->port = (ferry_port_t){(uint32_t)ferry_w.rank, m->h.port, m->h.gen};
    st->size = m->h.size;
    st->seq = m->h.seq;
    st->id = m->h.tag;
    st->error = FERRY_OK;
}

int port_iprobe(ferry_port_t port, const struct match *m, int *flag, ferry_status_t *st)
{
    struct port_rec *p;
    int rc = own_port(port, &p);
    if (rc) return rc;
    progress_once();
    struct ferry_msg *msg = msgq_find(&p->unexpected, m);
    *flag = msg != NULL;
    if (msg) msg_status(msg, st);
    return FERRY_OK;
}

int port_improbe(ferry_port_t port, const struct match *m, struct ferry_msg **out,
                 ferry_status_t *st)
{
    struct port_rec *p;
    int rc = own_port(port, &p);
    if (rc) return rc;
    progress_once();
    struct ferry_msg *msg = msgq_find(&p->unexpected, m);
    *out = msg;
    if (!msg) return FERRY_OK;
    msg_status(msg, st);
    msgq_remove(&p->unexpected, msg);
    msg_taken(p, &msg->h, 1);
    return FERRY_OK;
}

int port_imrecv(struct ferry_msg *msg, void *buf, size_t cap, struct ferry_request **out)
{
    if (!msg || !out || (!buf && cap)) return FERRY_ERR_INVALID;
    struct ferry_request *r = req_alloc(REQ_RECV);
    if (!r) return FERRY_ERR_NOMEM;
    r->buf = buf;
    r->cap = cap;
    r->port = msg->h.port;
    r->m = MATCH_ANY;
    /* A matched message belongs to the caller: it is consumed even when
     * truncated. */
    r->flags = PORT_RECV_CONSUME;
    deliver_to_request(r, &msg->h, &msg->rndv, msg->data, msg->x);
    msg_free(msg);
    *out = r;
    return FERRY_OK;
}

FERRY_API int ferry_irecv(ferry_port_t port, void *buf, size_t cap, ferry_request_t *req)
{
    LOCKED();
    return port_irecv(port, &match_any, buf, cap, 0, req);
}

FERRY_API int ferry_recv(ferry_port_t port, void *buf, size_t cap, ferry_status_t *status,
                         int timeout_ms)
{
    LOCKED();
    return port_recv(port, &match_any, buf, cap, 0, status, timeout_ms);
}

FERRY_API int ferry_msg_recv(ferry_port_t port, ferry_message_t *m, int timeout_ms)
{
    LOCKED();
    if (!m || (m->nports && !m->ports) || m->nports > UINT32_MAX || (m->nregions && !m->regions) ||
        m->nregions > UINT32_MAX)
        return FERRY_ERR_INVALID;
    if (timeout_ms < FERRY_FOREVER) return FERRY_ERR_INVALID;
    ferry_request_t r;
    int rc = start_recv(port, &match_any, m->body, m->len, PORT_RECV_PORTS, m, &r);
    if (rc) return rc;
    if (!r->done) {
        rc = progress_wait(req_done, r, timeout_ms);
        if (rc == FERRY_ERR_TIMEOUT && port_recv_cancel(r)) {
            req_free(r);
            return FERRY_ERR_TIMEOUT;
        }
    }
    progress_wait(req_done, r, FERRY_FOREVER);
    m->reply = r->reply;
    m->nports = r->nports;
    m->nregions = r->nregions;
    ferry_status_t st;
    rc = ferry_wait(&r, &st);
    m->dest = st.port;
    m->id = st.id;
    m->len = st.size;
    m->source = st.source;
    m->seq = st.seq;
    return rc;
}
