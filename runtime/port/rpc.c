/* RPC over ports: a request carries a fresh single-use reply port; the
 * server answers on it without ever waiting for room. */
#include <stdlib.h>
#include <time.h>

#include "include/ferry.h"
#include "runtime/core/api.h"
#include "runtime/core/world.h"
#include "runtime/port/port.h"
#include "runtime/progress/lock.h"

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

FERRY_API int ferry_rpc(ferry_port_t dest, const ferry_message_t *request, ferry_message_t *reply,
                        int timeout_ms)
{
    LOCKED();
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (!request || !reply || timeout_ms < FERRY_FOREVER) return FERRY_ERR_INVALID;
    long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
    ferry_port_t rp;
    int rc = port_alloc_internal(&rp, 1, 1);
    if (rc) return rc;
    ferry_message_t m = *request;
    m.dest = dest;
    m.reply = rp;
    rc = ferry_msg_send(&m, timeout_ms < 0 ? FERRY_SEND_BLOCK : FERRY_SEND_TIMEOUT, timeout_ms,
                        FERRY_PORT_NULL);
    if (!rc) {
        int left = FERRY_FOREVER;
        if (deadline >= 0) {
            long long l = deadline - now_ms();
            left = l > 0 ? (int)l : 0;
        }
        rc = ferry_msg_recv(rp, reply, left);
    }
    /* A reply that comes after a timeout finds the port dead: dropped. */
    ferry_port_destroy(rp);
    return rc;
}

FERRY_API int ferry_serve(ferry_port_t port, ferry_handler_t handler, void *arg)
{
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (!handler) return FERRY_ERR_INVALID;
    size_t cap = 4096;
    char *buf = malloc(cap);
    ferry_port_t *names = malloc(FERRY_MSG_PORTS_MAX * sizeof *names);
    ferry_region_t *regions = malloc(FERRY_MSG_REGIONS_MAX * sizeof *regions);
    int rc = buf && names && regions ? FERRY_OK : FERRY_ERR_NOMEM;
    while (!rc) {
        /* Regions that come with a request are the handler's to free. */
        ferry_message_t req = {.body = buf,
                               .len = cap,
                               .ports = names,
                               .nports = FERRY_MSG_PORTS_MAX,
                               .regions = regions,
                               .nregions = FERRY_MSG_REGIONS_MAX};
        rc = ferry_msg_recv(port, &req, FERRY_FOREVER);
        if (rc == FERRY_ERR_TRUNCATE) {
            /* The request stays queued: make room and take it again. */
            char *b = realloc(buf, req.len);
            if (!b) {
                rc = FERRY_ERR_NOMEM;
                break;
            }
            buf = b;
            cap = req.len;
            rc = FERRY_OK;
            continue;
        }
        if (rc) break;
        ferry_message_t rep = {.reply = FERRY_PORT_NULL};
        int h = handler(&req, &rep, arg);
        if (h < 0) {
            rc = h;
            break;
        }
        if (h != FERRY_SERVE_NO_REPLY && req.reply.gen) {
            rep.dest = req.reply;
            /* A dead client's port drops it; nothing here waits for one. */
            ferry_msg_send(&rep, FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL);
        }
        if (h == FERRY_SERVE_STOP) break;
    }
    free(buf);
    free(names);
    free(regions);
    return rc;
}
