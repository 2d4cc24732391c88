/* Receiving from a port this rank holds the receive right of. */
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
    if (m->h.size > r->cap) {
        /* Leave the message queued; report its size. */
        deliver_to_request(r, &m->h, &m->rndv, m->data);
        return;
    }
    msgq_remove(&p->unexpected, m);
    p->recv_seq++;
    deliver_to_request(r, &m->h, &m->rndv, m->data);
    free(m);
}

FERRY_API int ferry_irecv(ferry_port_t port, void *buf, size_t cap, ferry_request_t *req)
{
    struct port_rec *p;
    int rc = own_port(port, &p);
    if (rc) return rc;
    if (!req || (!buf && cap)) return FERRY_ERR_INVALID;
    struct ferry_request *r = req_alloc(REQ_RECV);
    if (!r) return FERRY_ERR_NOMEM;
    r->buf = buf;
    r->cap = cap;
    r->port = port.index;
    r->m = MATCH_ANY;
    post(p, r);
    *req = r;
    return FERRY_OK;
}

static int req_done(void *arg)
{
    return ((struct ferry_request *)arg)->done;
}

FERRY_API int ferry_recv(ferry_port_t port, void *buf, size_t cap, ferry_status_t *status,
                         int timeout_ms)
{
    ferry_request_t r;
    int rc = ferry_irecv(port, buf, cap, &r);
    if (rc) return rc;
    rc = progress_wait(req_done, r, timeout_ms);
    if (rc == FERRY_ERR_TIMEOUT) {
        /* Still posted: withdraw it. Already matched: it finishes soon. */
        struct port_rec *p = port_lookup(port.index, port.gen);
        if (!r->done && p && reqq_remove(&p->posted, r)) {
            req_free(r);
            return FERRY_ERR_TIMEOUT;
        }
        progress_wait(req_done, r, FERRY_FOREVER);
    }
    return ferry_wait(&r, status);
}
