/* Large messages: the sender registers its buffer for remote read when its
 * RTS leaves (the key travels in the RTS) and deregisters it when the FIN
 * or DEAD for that send arrives; the receiver, once the message is matched,
 * reads the bytes straight into the user's buffer with fi_read, in chunks
 * of at most read_max, a few in flight. The registration covers exactly the
 * buffer of the send, so a peer can read nothing else. */
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>
#include <stdlib.h>
#include <string.h>

#include "include/ferry.h"
#include "runtime/core/world.h"
#include "transports/ofi/ofi.h"

struct ofi_rts {
    struct ofi_rts *next;
    uint64_t cookie;
    struct fid_mr *mr;
};

struct pull {
    struct pull *next; /* in the list of pulls with reads to post or finish */
    struct ferry_pull *op;
    int rank;
    char *dst;
    uint64_t len, posted, remote, key;
    int outstanding;
    int error; /* a positive fi errno once a read failed */
    struct fid_mr *mr;
    void *desc;
};

struct read_ctx {
    struct ofi_ctx ctx;
    struct pull *pull;
};

static struct pull *pulls;

int ofi_rndv_prepare(int rank, struct ferry_rndv *r)
{
    r->key = 0;
    if (r->len == 0) return FERRY_OK;
    struct ofi_rts *e = malloc(sizeof *e);
    if (!e) return FERRY_ERR_NOMEM;
    int rc = ofi_mr_reg((void *)(uintptr_t)r->addr, r->len, FI_REMOTE_READ, &e->mr);
    if (rc == 0 && fi_mr_key(e->mr) == FI_KEY_NOTAVAIL) {
        fi_close(&e->mr->fid);
        rc = -FI_ENOSYS;
    }
    if (rc) {
        ferry_log("ofi: cannot register a %llu-byte send buffer for rank %d: %s",
                  (unsigned long long)r->len, rank, ofi_strerror(-rc));
        free(e);
        return FERRY_ERR_TRANSPORT;
    }
    r->key = fi_mr_key(e->mr);
    e->cookie = r->cookie;
    e->next = ofi.peers[rank].rts;
    ofi.peers[rank].rts = e;
    return FERRY_OK;
}

void ofi_rndv_release(int rank, uint64_t cookie)
{
    for (struct ofi_rts **pp = &ofi.peers[rank].rts; *pp; pp = &(*pp)->next) {
        struct ofi_rts *e = *pp;
        if (e->cookie != cookie) continue;
        *pp = e->next;
        fi_close(&e->mr->fid);
        free(e);
        return;
    }
}

void ofi_rndv_fail_peer(int rank)
{
    /* The peer will never read these: the runtime fails the sends
     * (ferry_peer_lost), the registrations go now. */
    struct ofi_rts *e;
    while ((e = ofi.peers[rank].rts)) {
        ofi.peers[rank].rts = e->next;
        fi_close(&e->mr->fid);
        free(e);
    }
}

int ofi_rndv_owed(int rank)
{
    return ofi.peers[rank].rts != NULL;
}

static void finish(struct pull *p)
{
    for (struct pull **pp = &pulls; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    if (p->mr) fi_close(&p->mr->fid);
    p->op->error = p->error ? FERRY_ERR_TRANSPORT : FERRY_OK;
    p->op->tp = NULL;
    p->op->done = 1;
    free(p);
}

/* Post what can be posted; finish when nothing is left in flight. Returns
 * how many reads were posted. */
static int advance(struct pull *p)
{
    int n = 0;
    struct ofi_peer *peer = &ofi.peers[p->rank];
    while (!p->error && p->posted < p->len && p->outstanding < OFI_READS_AHEAD) {
        if (peer->failed) {
            p->error = FI_ECONNABORTED;
            break;
        }
        uint64_t left = p->len - p->posted;
        size_t cnt = left < ofi.read_max ? (size_t)left : ofi.read_max;
        struct read_ctx *rd = malloc(sizeof *rd);
        if (!rd) break; /* retried on the next poll */
        rd->ctx.op = OFI_OP_READ;
        rd->pull = p;
        int rc = fi_read(ofi.ep, p->dst + p->posted, cnt, p->desc, peer->addr,
                         p->remote + p->posted, p->key, &rd->ctx.fi);
        if (rc) {
            free(rd);
            if (rc == -FI_EAGAIN) {
                ofi_peer_stalled(p->rank, "reading a large message");
                if (peer->failed) p->error = FI_ECONNABORTED;
                break;
            }
            p->error = -rc;
            ferry_log("ofi: cannot read a %llu-byte message from rank %d (host %s): %s",
                      (unsigned long long)p->len, p->rank, peer->host, ofi_strerror(-rc));
            break;
        }
        ofi_peer_ok(p->rank);
        p->posted += cnt;
        p->outstanding++;
        n++;
    }
    if (p->outstanding == 0 && (p->error || p->posted == p->len)) finish(p);
    return n;
}

int ofi_rndv_pull(int rank, const struct ferry_rndv *r, void *dst, struct ferry_pull *op)
{
    if (r->len == 0) {
        op->error = FERRY_OK;
        op->done = 1;
        return FERRY_OK;
    }
    struct pull *p = calloc(1, sizeof *p);
    if (!p) return FERRY_ERR_NOMEM;
    *p = (struct pull){.op = op,
                       .rank = rank,
                       .dst = dst,
                       .len = r->len,
                       .remote = ofi.mr_mode & FI_MR_VIRT_ADDR ? r->addr : 0,
                       .key = r->key};
    if (ofi.mr_mode & FI_MR_LOCAL) {
        int rc = ofi_mr_reg(dst, r->len, FI_READ, &p->mr);
        if (rc) {
            ferry_log("ofi: cannot register a %llu-byte receive buffer: %s",
                      (unsigned long long)r->len, ofi_strerror(-rc));
            free(p);
            return FERRY_ERR_TRANSPORT;
        }
        p->desc = fi_mr_desc(p->mr);
    }
    op->tp = p;
    p->next = pulls;
    pulls = p;
    advance(p);
    return FERRY_OK;
}

void ofi_rndv_read_done(struct ofi_ctx *c, int error, const char *why)
{
    struct read_ctx *rd = (struct read_ctx *)c;
    struct pull *p = rd->pull;
    free(rd);
    p->outstanding--;
    if (!error) ofi_peer_ok(p->rank);
    if (error && !p->error) {
        p->error = error;
        ferry_log("ofi: reading a %llu-byte message from rank %d (host %s) failed: %s",
                  (unsigned long long)p->len, p->rank, ofi.peers[p->rank].host, why);
    }
    advance(p);
}

int ofi_rndv_progress(void)
{
    int n = 0;
    struct pull *p = pulls, *next;
    for (; p; p = next) {
        next = p->next; /* advance may finish and free p */
        if (p->posted < p->len || p->outstanding == 0) n += advance(p);
    }
    return n;
}

void ofi_rndv_fini(void)
{
    for (int r = 0; ofi.peers && r < ofi.size; r++) {
        struct ofi_rts *e;
        while ((e = ofi.peers[r].rts)) {
            ofi.peers[r].rts = e->next;
            fi_close(&e->mr->fid);
            free(e);
        }
    }
    while (pulls) {
        struct pull *p = pulls;
        pulls = p->next;
        if (p->mr) fi_close(&p->mr->fid);
        free(p);
    }
}
