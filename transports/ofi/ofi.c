/* The libfabric transport's ops table: start-up, the completion queue
 * (polled from the start: tcp;ofi_rxm moves data only when asked), errors,
 * and sleeping on the CQ's wait fd until the fabric or another thread
 * wakes the rank. */
#include <poll.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "include/ferry.h"
#include "runtime/core/world.h"
#include "transports/ofi/ofi.h"

#define CQ_BATCH   16
#define CQ_BATCHES 4
/* A peer that refuses every post this long is unreachable (seconds). */
#define PEER_TIMEOUT_DEFAULT 60

struct ofi_state ofi = {.wait_fd = -1, .wake_fd = -1};

static void set_host(void)
{
    const char *h = getenv("FERRY_HOST"); /* the name the launcher knows the node by */
    if (h && *h)
        snprintf(ofi.host, sizeof ofi.host, "%s", h);
    else if (gethostname(ofi.host, sizeof ofi.host - 1) != 0)
        snprintf(ofi.host, sizeof ofi.host, "localhost");
    /* The host travels inside "LEN:HOST:HEX" PMI values. */
    for (char *c = ofi.host; *c; c++)
        if (!(*c == '.' || *c == '-' || *c == '_' || (*c >= '0' && *c <= '9') ||
              (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
            *c = '_';
}

static void cleanup(void)
{
    if (ofi.ep) fi_close(&ofi.ep->fid);
    ofi.ep = NULL;
    ofi_rndv_fini();
    ofi_eager_fini();
    ofi_fabric_close();
    if (ofi.wake_fd >= 0) close(ofi.wake_fd);
    ofi.wake_fd = -1;
    free(ofi.peers);
    free(ofi.rank_of);
    ofi.peers = NULL;
    ofi.rank_of = NULL;
}

static int ofi_init(struct ferry_world *w, ferry_frame_fn deliver)
{
    ofi.deliver = deliver;
    ofi.size = w->size;
    ofi.me = w->rank;
    set_host();
    ofi.peers = calloc((size_t)w->size, sizeof *ofi.peers);
    ofi.rank_of = malloc((size_t)w->size * sizeof *ofi.rank_of);
    if (!ofi.peers || !ofi.rank_of) {
        cleanup();
        return FERRY_ERR_NOMEM;
    }
    for (int r = 0; r < w->size; r++) ofi.rank_of[r] = -1;
    /* Threads: one asleep in the fabric's wait is woken through this. */
    ofi.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ofi.nrank_of = (size_t)w->size;
    const char *t = getenv("FERRY_OFI_PEER_TIMEOUT");
    ofi.peer_timeout_ms = (int64_t)(t && *t ? atol(t) : PEER_TIMEOUT_DEFAULT) * 1000;
    char why[512];
    int rc = ofi_fabric_open(why, sizeof why);
    if (rc) {
        ferry_log("ofi: %s", why);
    } else if ((rc = ofi_eager_init()) == FERRY_OK) {
        rc = ofi_addr_publish();
    }
    if (rc) {
        cleanup();
        return rc;
    }
    const char *v = getenv("FERRY_VERBOSE");
    if (v && *v && strcmp(v, "0") != 0 && w->local_rank == 0) {
        ofi_fabric_describe(why, sizeof why);
        ferry_log("ofi on host %s: %s", ofi.host, why);
    }
    return 1; /* published: the runtime fences before connect() */
}

static int ofi_connect(struct ferry_world *w)
{
    for (int r = 0; r < w->size; r++) {
        if (w->peers[r].tp != &ferry_transport_ofi) continue;
        int rc = ofi_addr_resolve(r);
        if (rc) return rc;
    }
    return FERRY_OK;
}

static int ofi_reaches(int rank)
{
    return ofi.ep != NULL;
}

static int ofi_send(int rank, const struct ferry_hdr *h, const void *payload, size_t len)
{
    struct ofi_peer *p = &ofi.peers[rank];
    if (p->failed || !p->resolved) return FERRY_ERR_PEER;
    return ofi_eager_send(rank, h, payload, len);
}

static int ofi_pull(int rank, const struct ferry_rndv *r, void *dst, struct ferry_pull *op)
{
    if (ofi.peers[rank].failed) return FERRY_ERR_PEER;
    return ofi_rndv_pull(rank, r, dst, op);
}

void ofi_peer_failed(int rank, const char *what, const char *why)
{
    struct ofi_peer *p = &ofi.peers[rank];
    if (p->failed) return;
    p->failed = 1;
    ofi.lost = 1;
    ferry_log("ofi: lost rank %d (host %s) while %s: %s", rank, p->host, what, why);
    ofi_rndv_fail_peer(rank);
}

int64_t ofi_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Peers that owe us a FIN and have been silent get a ping, at most every
 * OFI_PING_MS: a connection that died without an operation in flight
 * shows up only when something is posted to it. */
static void ping_silent(void)
{
    static int64_t next;
    int64_t now = ofi_now_ms();
    if (now < next || ofi.peer_timeout_ms <= 0) return;
    next = now + OFI_PING_MS;
    for (int r = 0; r < ofi.size; r++) {
        struct ofi_peer *p = &ofi.peers[r];
        if (p->resolved && !p->failed && ofi_rndv_owed(r) && now - p->heard >= OFI_PING_MS)
            ofi_eager_ping(r);
    }
}

void ofi_peer_stalled(int rank, const char *what)
{
    struct ofi_peer *p = &ofi.peers[rank];
    int64_t now = ofi_now_ms();
    if (!p->stall_since) {
        p->stall_since = now;
        return;
    }
    if (ofi.peer_timeout_ms <= 0 || now - p->stall_since < ofi.peer_timeout_ms) return;
    char why[96];
    snprintf(why, sizeof why, "the fabric took nothing for it for %lld s",
             (long long)(now - p->stall_since) / 1000);
    ofi_peer_failed(rank, what, why);
}

void ofi_peer_ok(int rank)
{
    ofi.peers[rank].stall_since = 0;
}

/* Out of any send() the runtime may be in the middle of. */
static void tell_lost(void)
{
    ofi.lost = 0;
    for (int r = 0; r < ofi.size; r++)
        if (ofi.peers[r].failed && !ofi.peers[r].told) {
            ofi.peers[r].told = 1;
            ferry_peer_lost(r);
        }
}

static int source_rank(fi_addr_t fa)
{
    return fa < (fi_addr_t)ofi.nrank_of ? ofi.rank_of[fa] : -1;
}

static void dispatch(struct ofi_ctx *c, size_t len, uint64_t tag, int source, int error,
                     const char *why)
{
    switch (c->op) {
    case OFI_OP_RECV:
        ofi_eager_recv_done(c, len, tag, source, error);
        break;
    case OFI_OP_SEND:
        ofi_eager_send_done(c, error, why);
        break;
    case OFI_OP_READ:
        ofi_rndv_read_done(c, error, why);
        break;
    }
}

static void read_error(void)
{
    struct fi_cq_err_entry e;
    memset(&e, 0, sizeof e);
    if (fi_cq_readerr(ofi.cq, &e, 0) != 1) return;
    char buf[256], why[384];
    const char *prov = fi_cq_strerror(ofi.cq, e.prov_errno, e.err_data, buf, sizeof buf);
    snprintf(why, sizeof why, "%s%s%s%s", ofi_strerror(e.err), prov ? " (" : "", prov ? prov : "",
             prov ? ")" : "");
    if (!e.op_context) {
        ferry_log("ofi: a fabric operation failed: %s", why);
        return;
    }
    dispatch(e.op_context, 0, 0, -1, e.err ? e.err : FI_EIO, why);
}

static int ofi_poll(void)
{
    if (!ofi.ep) return 0;
    int n = 0;
    for (int b = 0; b < CQ_BATCHES; b++) {
        struct fi_cq_tagged_entry e[CQ_BATCH];
        fi_addr_t src[CQ_BATCH];
        ssize_t got = ofi.has_source ? fi_cq_readfrom(ofi.cq, e, CQ_BATCH, src)
                                     : fi_cq_read(ofi.cq, e, CQ_BATCH);
        if (got == -FI_EAGAIN) break;
        if (got == -FI_EAVAIL) {
            read_error();
            n++;
            continue;
        }
        if (got < 0) {
            ferry_log("ofi: reading the completion queue failed: %s", ofi_strerror((int)-got));
            break;
        }
        for (ssize_t k = 0; k < got; k++)
            dispatch(e[k].op_context, e[k].len, e[k].tag, ofi.has_source ? source_rank(src[k]) : -1,
                     0, NULL);
        n += (int)got;
        if (got < CQ_BATCH) break;
    }
    ofi_eager_repost();
    n += ofi_rndv_progress();
    ping_silent();
    if (ofi.lost) {
        tell_lost();
        n++;
    }
    return n;
}

static void ofi_sleep(int timeout_ms)
{
    if (!ofi.ep) return;
    /* A peer that owes us a FIN is pinged while we wait for it. */
    if (ofi.peer_timeout_ms > 0 && (timeout_ms < 0 || timeout_ms > OFI_PING_MS)) {
        for (int r = 0; r < ofi.size; r++)
            if (ofi_rndv_owed(r)) {
                timeout_ms = OFI_PING_MS;
                break;
            }
    }
    /* Sleep on the CQ's fd and the wake-up's. Without either, nap 1 ms at
     * a time, so fabric traffic or another thread waits at most that. */
    struct pollfd p[2] = {{.fd = ofi.wake_fd, .events = POLLIN}, {.fd = -1}};
    if (ofi.wait_fd >= 0) {
        struct fid *f = &ofi.cq->fid;
        /* trywait says whether the fd may be slept on (nothing pending). */
        if (fi_trywait(ofi.fabric, &f, 1) != FI_SUCCESS) return;
        p[1] = (struct pollfd){.fd = ofi.wait_fd, .events = POLLIN};
    }
    if ((ofi.wait_fd < 0 || ofi.wake_fd < 0) && (timeout_ms < 0 || timeout_ms > 1)) timeout_ms = 1;
    if (poll(p, 2, timeout_ms) > 0 && p[0].revents) {
        uint64_t v;
        ssize_t n = read(ofi.wake_fd, &v, sizeof v); /* EAGAIN: another thread drained it */
        (void)n;
    }
}

static void ofi_wake(void)
{
    uint64_t one = 1;
    ssize_t n = write(ofi.wake_fd, &one, sizeof one); /* EAGAIN: one is pending anyway */
    (void)n;
}

static void ofi_fini(void)
{
    cleanup();
    memset(&ofi, 0, sizeof ofi);
    ofi.wait_fd = -1;
    ofi.wake_fd = -1;
}

const struct ferry_transport_ops ferry_transport_ofi = {
    .name = "ofi",
    .init = ofi_init,
    .connect = ofi_connect,
    .reaches = ofi_reaches,
    .send = ofi_send,
    .pull = ofi_pull,
    .poll = ofi_poll,
    .sleep = ofi_sleep,
    .wake = ofi_wake,
    .fini = ofi_fini,
    .caps = {.max_eager = OFI_MAX_EAGER, .can_pull = 1},
};
