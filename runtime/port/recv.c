/* Receiving from a port this rank holds the receive right of: receives,
 * probes and matched-probe handles, each with a match on source and tag. */
#include <stdlib.h>

#include "include/ferry.h"
#include "runtime/core/api.h"
#include "runtime/core/world.h"
#include "runtime/port/port.h"
#include "runtime/progress/progress.h"
#include "runtime/progress/request.h"

static int own_port(ferry_port_t port, struct port_rec **out)
{
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (port.rank != (uint32_t)ferry_w.rank) return FERRY_ERR_NOT_RECEIVER;
    *out = port_lookup(port.index, port.gen);
    return *out ? FERRY_OK : FERRY_ERR_DEAD_PORT;
}

/* Match r against the queue, or post it. */
static void post(struct port_rec *p, struct ferry_request *r)
{
    struct ferry_msg *m = msgq_find(&p->unexpected, &r->m);
    if (!m) {
        reqq_append(&p->posted, r);
        return;
    }
    if (!deliver_to_request(r, &m->h, &m->rndv, m->data)) return; /* truncated, kept */
    msgq_remove(&p->unexpected, m);
    p->recv_seq++;
    free(m);
}

int port_irecv(ferry_port_t port, const struct match *m, void *buf, size_t cap, unsigned flags,
               struct ferry_request **out)
{
    struct port_rec *p;
    int rc = own_port(port, &p);
    if (rc) return rc;
    if (!out || (!buf && cap)) return FERRY_ERR_INVALID;
    struct ferry_request *r = req_alloc(REQ_RECV);
    if (!r) return FERRY_ERR_NOMEM;
    r->buf = buf;
    r->cap = cap;
    r->port = port.index;
    r->m = *m;
    r->flags = (uint8_t)flags;
    post(p, r);
    *out = r;
    return FERRY_OK;
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
    struct port_rec *p = r->port < UINT32_MAX ? port_lookup_index(r->port) : NULL;
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
    p->recv_seq++;
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
    deliver_to_request(r, &msg->h, &msg->rndv, msg->data);
    free(msg);
    *out = r;
    return FERRY_OK;
}

FERRY_API int ferry_irecv(ferry_port_t port, void *buf, size_t cap, ferry_request_t *req)
{
    return port_irecv(port, &MATCH_ANY, buf, cap, 0, req);
}

FERRY_API int ferry_recv(ferry_port_t port, void *buf, size_t cap, ferry_status_t *status,
                         int timeout_ms)
{
    return port_recv(port, &MATCH_ANY, buf, cap, 0, status, timeout_ms);
}
