#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "include/ferry.h"
#include "runtime/core/world.h"
#include "transports/shm/copy.h"
#include "transports/shm/layout.h"
#include "transports/shm/numa.h"
#include "transports/shm/ring.h"

/* Bytes per CMA chunk: large enough to amortise the system call, small
 * enough that a huge message does not stall other peers' frames for long
 * (one chunk per progress call). Up to 2 chunks' worth a message is cut in
 * two halves, one for each side (of CMA_MIN_CHUNK at least: below, the
 * second system call costs more than it saves). */
#define CMA_CHUNK     (256u << 10)
#define CMA_MIN_CHUNK (16u << 10)

/* Claim slots per receiver, in one page of the segment. A pull that finds
 * none free copies alone. */
#define CLAIM_SLOTS 64

enum pull_mode { PULL_CMA, PULL_WAIT_STAGE, PULL_CTS, PULL_PIPE };

/* Who copies which chunk of a CMA pull, shared by its receiver and sender.
 * A chunk is taken by moving `next` on with a compare-and-swap that also
 * checks the slot's generation, so a sender still holding a finished
 * copy's slot can never take a chunk of the next copy there. Every taken
 * chunk ends up in `done` (copied or given up), or, when the sender could
 * not copy it, in `handback` for the receiver to copy: the pull is over
 * when done reaches the length, and only then is the slot reused. */
struct claim_slot {
    _Atomic uint64_t next;     /* gen << 32 | next chunk to take */
    _Atomic uint64_t done;     /* bytes of chunks finished, by either side */
    _Atomic uint64_t handback; /* gen << 32 | chunk + 1 the sender gave back */
    char pad[SHM_CACHELINE - 3 * sizeof(uint64_t)];
};

_Static_assert(CLAIM_SLOTS * sizeof(struct claim_slot) <= 4096, "claim slots fill one page");

struct stage {
    _Atomic uint64_t state[SHM_STAGE_SLOTS]; /* 0: empty; c+1: holds chunk c */
};

/* A scattered source (FERRY_RNDV_IOV) read in order: where the last read
 * ended, so each chunk finds its regions without scanning from the start. */
struct iov_cursor {
    const struct iovec *iov;
    uint64_t n;
    uint64_t i, base; /* the region holding the next byte, and its offset */
};

/* Regions of a scattered source fetched in one call at most. */
#define IOV_BATCH 256

/* Regions of a scattered source accepted at most (16 MiB of iovecs). */
#define IOV_LIST_MAX (1u << 20)

/* A scattered destination whose regions average fewer bytes than this is
 * pulled whole into a bounce buffer, then copied out: process_vm_readv
 * into many small local regions is slow, and a contiguous pull may have
 * the sender's help. Measured here, 1 MiB, best of 5 runs of 50 (us),
 * direct against bounce: 512-byte regions 160-200 / 100-150, 2 KiB
 * 86-134 / 85-100, 4 KiB 74-76 / 82-89, 16 KiB 70-86 / 75-90. */
#define LOCAL_IOV_MIN 4096

struct pull {
    struct pull *next;
    struct ferry_pull *op;
    int peer, rank;
    enum pull_mode mode;
    struct ferry_rndv r;
    char *dst;
    uint64_t done;  /* CMA: chunks taken (alone); pipe: chunks drained */
    uint64_t chunk; /* CMA: bytes per chunk */
    /* CMA shared with the sender: */
    struct claim_slot *slot; /* NULL: copying alone */
    int slot_index;
    uint32_t gen;
    int error; /* the first failure; later chunks are given up */
    /* A scattered source: the sender's regions, fetched by the first CMA
     * step (NULL until then). */
    struct iovec *riov;
    /* Scattered on either side (the source, or op->dst_iov): both sides
     * are read through cursors, a contiguous one as a single region. */
    int scattered;
    struct iov_cursor rcur, lcur;
    struct iovec rone, lone;
    /* Small destination regions: pulled here, then copied into op's. */
    char *bounce;
};

/* Sender side: chunks of one of our sends a receiver asked help with. */
struct help {
    struct help *next;
    int peer;
    struct claim_slot *slot;
    uint32_t gen;
    const char *src;
    uint64_t dst, len, chunk, nchunks;
};

struct pump {
    struct pump *next;
    int peer;
    struct stage *st;
    const char *src;
    uint64_t len, chunk;
    struct iov_cursor cur; /* a scattered source: cur.iov non-NULL */
};

static struct {
    int use_cma;
    int help_off; /* ranks share cores, or process_vm_writev was refused */
    struct pull *pulls;
    struct pump *pumps;
    struct help *helps;
    /* Receiver-owned staging per sending peer, allocated on first use. */
    uint64_t *stage_off;
    char *stage_busy;
    char *cma_ok; /* a read from that peer worked: ask for help at once */
    int nlocal;
    /* This rank's claim slots, allocated on the first large pull. */
    uint64_t slots_off;
    uint32_t slot_gen[CLAIM_SLOTS];
    char slot_busy[CLAIM_SLOTS];
} cp;

static uint64_t nchunks(uint64_t len)
{
    return (len + SHM_STAGE_SLOT_BYTES - 1) / SHM_STAGE_SLOT_BYTES;
}

static char *slot_data(struct stage *st, uint64_t chunk)
{
    return (char *)st + 4096 + (chunk % SHM_STAGE_SLOTS) * SHM_STAGE_SLOT_BYTES;
}

static uint64_t chunk_len(uint64_t len, uint64_t chunk)
{
    uint64_t rest = len - chunk * SHM_STAGE_SLOT_BYTES;
    return rest < SHM_STAGE_SLOT_BYTES ? rest : SHM_STAGE_SLOT_BYTES;
}

void copy_init(int use_cma)
{
    cp.use_cma = use_cma;
    /* Ranks sharing cores: a sender's help takes the core from another
     * rank, and a sender descheduled holding a chunk stalls its receiver
     * for a time slice. */
    cp.help_off = ferry_w.oversubscribed;
    cp.nlocal = ferry_w.local_size;
    cp.stage_off = calloc((size_t)cp.nlocal, sizeof *cp.stage_off);
    cp.stage_busy = calloc((size_t)cp.nlocal, 1);
    cp.cma_ok = calloc((size_t)cp.nlocal, 1);
}

void copy_fini(void)
{
    while (cp.pulls) {
        struct pull *p = cp.pulls;
        cp.pulls = p->next;
        free(p);
    }
    while (cp.pumps) {
        struct pump *p = cp.pumps;
        cp.pumps = p->next;
        free(p);
    }
    while (cp.helps) {
        struct help *h = cp.helps;
        cp.helps = h->next;
        free(h);
    }
    free(cp.stage_off);
    free(cp.stage_busy);
    free(cp.cma_ok);
    memset(&cp, 0, sizeof cp);
}

static uint64_t chunk_for(uint64_t len)
{
    if (len > 2 * (uint64_t)CMA_CHUNK) return CMA_CHUNK;
    if (cp.help_off) return len < CMA_CHUNK ? len : CMA_CHUNK; /* no second side */
    uint64_t c = (len / 2 + 4095) / 4096 * 4096;
    return c < CMA_MIN_CHUNK ? CMA_MIN_CHUNK : c;
}

static uint64_t cma_chunks(uint64_t len, uint64_t chunk)
{
    return (len + chunk - 1) / chunk;
}

static uint64_t cma_chunk_len(uint64_t len, uint64_t chunk, uint64_t c)
{
    uint64_t rest = len - c * chunk;
    return rest < chunk ? rest : chunk;
}

static int refused(int err)
{
    return err == EPERM || err == ENOSYS || err == EACCES;
}

/* Copy n bytes between this process (local) and pid (remote), reading or
 * writing the remote side. 0, or the errno of the failure. */
static int cma_copy(pid_t pid, char *local, uint64_t remote, uint64_t n, int write)
{
    while (n) {
        struct iovec l = {local, n}, r = {(void *)(uintptr_t)remote, n};
        ssize_t got = write ? process_vm_writev(pid, &l, 1, &r, 1, 0)
                            : process_vm_readv(pid, &l, 1, &r, 1, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return got < 0 ? errno : EFAULT;
        local += got;
        remote += (uint64_t)got;
        n -= (uint64_t)got;
    }
    return 0;
}

/* Regions covering [off, off + n) of scattered source cu, up to max of
 * them: how many, and in *len their bytes (less than n when max ran out). */
static int iov_slice(struct iov_cursor *cu, uint64_t off, uint64_t n, struct iovec *out, int max,
                     uint64_t *len)
{
    if (off < cu->base) cu->i = cu->base = 0;
    while (cu->i < cu->n && cu->base + cu->iov[cu->i].iov_len <= off)
        cu->base += cu->iov[cu->i++].iov_len;
    uint64_t i = cu->i, base = cu->base, got = 0;
    int k = 0;
    while (k < max && got < n && i < cu->n) {
        uint64_t skip = off + got - base, avail = cu->iov[i].iov_len - skip;
        uint64_t take = avail < n - got ? avail : n - got;
        out[k].iov_base = (char *)cu->iov[i].iov_base + skip;
        out[k++].iov_len = take;
        got += take;
        if (take == avail) base += cu->iov[i++].iov_len;
    }
    *len = got;
    return k;
}

/* Read bytes [off, off + n) of pid's source rc into the local regions lc
 * (either side may be a single region). 0, or the errno of the failure. */
static int cma_readv(pid_t pid, struct iov_cursor *lc, struct iov_cursor *rc, uint64_t off,
                     uint64_t n)
{
    struct iovec lv[IOV_BATCH], rv[IOV_BATCH];
    while (n) {
        uint64_t rlen, llen;
        int rk = iov_slice(rc, off, n, rv, IOV_BATCH, &rlen);
        int lk = iov_slice(lc, off, rlen, lv, IOV_BATCH, &llen);
        if (!llen) return EFAULT;
        if (llen < rlen) rk = iov_slice(rc, off, llen, rv, IOV_BATCH, &rlen);
        ssize_t got = process_vm_readv(pid, lv, (unsigned long)lk, rv, (unsigned long)rk, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return got < 0 ? errno : EFAULT;
        off += (uint64_t)got;
        n -= (uint64_t)got;
    }
    return 0;
}

/* Copy bytes [off, off + n) of this process's regions cu to buf (gather)
 * or from buf into them (scatter). */
static void iov_copy(struct iov_cursor *cu, uint64_t off, char *buf, uint64_t n, int scatter)
{
    struct iovec v[IOV_BATCH];
    while (n) {
        uint64_t len;
        int k = iov_slice(cu, off, n, v, IOV_BATCH, &len);
        if (!len) return; /* cannot happen: the regions hold the length */
        for (int j = 0; j < k; j++) {
            if (scatter)
                memcpy(v[j].iov_base, buf, v[j].iov_len);
            else
                memcpy(buf, v[j].iov_base, v[j].iov_len);
            buf += v[j].iov_len;
        }
        off += len;
        n -= len;
    }
}

/* Fetch the regions of p's scattered source from its sender. 0, the errno
 * of a failed read, or -1 when the list does not describe the message. */
static int fetch_regions(struct pull *p)
{
    uint64_t n = p->r.key & FERRY_RNDV_IOV_COUNT, sum = 0;
    if (!n || n > IOV_LIST_MAX) return -1;
    if (!(p->riov = malloc(n * sizeof *p->riov))) return ENOMEM;
    int err = cma_copy(shm_peer_pid(p->peer), (char *)p->riov, p->r.addr, n * sizeof *p->riov, 0);
    if (err) {
        free(p->riov);
        p->riov = NULL;
        return err;
    }
    for (uint64_t i = 0; i < n && sum <= p->r.len; i++)
        sum = p->riov[i].iov_len > p->r.len - sum ? p->r.len + 1 : sum + p->riov[i].iov_len;
    if (sum != p->r.len) {
        free(p->riov);
        p->riov = NULL;
        return -1;
    }
    p->rcur = (struct iov_cursor){p->riov, n, 0, 0};
    return 0;
}

/* Take the next chunk of the slot's copy: its index, or -1 when none is
 * left or the slot has moved on to another copy. */
static int64_t claim(struct claim_slot *s, uint32_t gen, uint64_t nchunks)
{
    uint64_t v = atomic_load_explicit(&s->next, memory_order_relaxed);
    for (;;) {
        if ((uint32_t)(v >> 32) != gen || (v & UINT32_MAX) >= nchunks) return -1;
        if (atomic_compare_exchange_weak_explicit(&s->next, &v, v + 1, memory_order_acq_rel,
                                                  memory_order_relaxed))
            return (int64_t)(v & UINT32_MAX);
    }
}

static struct claim_slot *slot_at(int i)
{
    return (struct claim_slot *)((char *)shm_base() + cp.slots_off) + i;
}

/* Share p's remaining chunks with its sender, chunks [0, taken) being
 * done already. Without a free slot (or ring room for the request) the
 * receiver goes on alone. */
static void ask_help(struct pull *p, uint64_t taken)
{
    /* A sender writes from a contiguous buffer into one only. */
    if (cp.help_off || p->scattered) return;
    if (!cp.slots_off) {
        if (!(cp.slots_off = shm_heap_alloc(shm_base(), 4096))) return;
        shm_numa_place((char *)shm_base() + cp.slots_off, 4096);
    }
    int i = 0;
    while (i < CLAIM_SLOTS && cp.slot_busy[i]) i++;
    if (i == CLAIM_SLOTS) return;
    struct claim_slot *s = slot_at(i);
    uint32_t gen = ++cp.slot_gen[i];
    atomic_store_explicit(&s->done, taken * p->chunk, memory_order_relaxed);
    atomic_store_explicit(&s->handback, 0, memory_order_relaxed);
    atomic_store_explicit(&s->next, (uint64_t)gen << 32 | taken, memory_order_release);
    struct shm_help help = {cp.slots_off + (uint64_t)i * sizeof *s, (uint64_t)(uintptr_t)p->dst,
                            gen, (uint32_t)p->chunk, p->r};
    struct ferry_hdr h = {.src = (uint32_t)ferry_w.rank, .kind = SHM_FRAME_HELP};
    if (shm_send_internal(p->peer, &h, &help, sizeof help) != FERRY_OK) return;
    cp.slot_busy[i] = 1;
    p->slot = s;
    p->slot_index = i;
    p->gen = gen;
}

static void cma_fail(struct pull *p, uint64_t n, int err)
{
    if (p->error) return;
    ferry_log("reading %llu bytes from rank %d failed: %s", (unsigned long long)n, p->rank,
              strerror(err));
    p->error = FERRY_ERR_TRANSPORT;
}

static void cma_finish(struct pull *p)
{
    if (p->slot) cp.slot_busy[p->slot_index] = 0;
    p->op->error = p->error;
    p->op->done = 1;
}

/* A chunk the sender gave back, or -1. */
static int64_t take_handback(struct pull *p)
{
    uint64_t v = atomic_load_explicit(&p->slot->handback, memory_order_acquire);
    if (!v || (uint32_t)(v >> 32) != p->gen) return -1;
    atomic_store_explicit(&p->slot->handback, 0, memory_order_relaxed);
    return (int64_t)(v & UINT32_MAX) - 1;
}

/* One CMA chunk. Returns 1 on progress, 0 when there was nothing to do (the
 * sender still copies its last chunk), or -1 when the kernel refused CMA
 * on the first chunk (the pull then switches to the pipelined copy). */
static int cma_step(struct pull *p)
{
    uint64_t nchunks = cma_chunks(p->r.len, p->chunk);
    int64_t c;
    if (p->slot) {
        c = claim(p->slot, p->gen, nchunks);
        if (c < 0) c = take_handback(p);
        if (c < 0) {
            if (atomic_load_explicit(&p->slot->done, memory_order_acquire) == p->r.len) {
                cma_finish(p);
                return 1;
            }
            /* The sender holds a chunk: it ends it, or it died. */
            if (ferry_w.peers[p->rank].dead) {
                cma_fail(p, p->r.len, ESRCH);
                cma_finish(p);
                return 1;
            }
            return 0;
        }
    } else {
        c = (int64_t)p->done++;
    }
    uint64_t n = cma_chunk_len(p->r.len, p->chunk, (uint64_t)c);
    uint64_t off = (uint64_t)c * p->chunk;
    int err = 0;
    if ((p->r.key & FERRY_RNDV_IOV) && !p->riov && !p->error) {
        err = fetch_regions(p);
        if (err < 0) {
            ferry_log("rank %d sent a malformed list of regions", p->rank);
            err = EPROTO;
        }
    }
    if (!err && !p->error)
        err = p->scattered ? cma_readv(shm_peer_pid(p->peer), &p->lcur, &p->rcur, off, n)
                           : cma_copy(shm_peer_pid(p->peer), p->dst + off, p->r.addr + off, n, 0);
    if (err && refused(err) && c == 0 && !p->slot) return -1;
    if (err) cma_fail(p, n, err);
    if (!p->slot) {
        if (p->done == nchunks) {
            cma_finish(p);
        } else if (!cp.cma_ok[p->peer] && !err) {
            /* CMA works with this peer: it may copy too, now and from the
             * start of later pulls. */
            cp.cma_ok[p->peer] = 1;
            ask_help(p, p->done);
        }
        return 1;
    }
    if (atomic_fetch_add_explicit(&p->slot->done, n, memory_order_acq_rel) + n == p->r.len)
        cma_finish(p);
    return 1;
}

static int pipe_start(struct pull *p)
{
    if (cp.stage_busy[p->peer]) return 0;
    if (!cp.stage_off[p->peer]) {
        uint64_t off = shm_heap_alloc(shm_base(), SHM_STAGE_BYTES);
        if (!off) {
            p->op->error = FERRY_ERR_NOMEM;
            p->op->done = 1;
            return 1;
        }
        cp.stage_off[p->peer] = off;
        shm_numa_place((char *)shm_base() + off, SHM_STAGE_BYTES);
    }
    cp.stage_busy[p->peer] = 1;
    struct stage *st = (struct stage *)((char *)shm_base() + cp.stage_off[p->peer]);
    for (int i = 0; i < SHM_STAGE_SLOTS; i++) atomic_store(&st->state[i], 0);
    p->mode = PULL_CTS;
    p->done = 0;
    return 1;
}

static int pipe_send_cts(struct pull *p)
{
    struct shm_cts cts = {cp.stage_off[p->peer], p->r};
    struct ferry_hdr h = {.src = (uint32_t)ferry_w.rank, .kind = SHM_FRAME_CTS};
    if (shm_send_internal(p->peer, &h, &cts, sizeof cts) != FERRY_OK) return 0;
    p->mode = PULL_PIPE;
    return 1;
}

static int pipe_drain(struct pull *p)
{
    struct stage *st = (struct stage *)((char *)shm_base() + cp.stage_off[p->peer]);
    uint64_t total = nchunks(p->r.len);
    int moved = 0;
    while (p->done < total) {
        _Atomic uint64_t *s = &st->state[p->done % SHM_STAGE_SLOTS];
        if (atomic_load_explicit(s, memory_order_acquire) != p->done + 1) break;
        if (p->scattered)
            iov_copy(&p->lcur, p->done * SHM_STAGE_SLOT_BYTES, slot_data(st, p->done),
                     chunk_len(p->r.len, p->done), 1);
        else
            memcpy(p->dst + p->done * SHM_STAGE_SLOT_BYTES, slot_data(st, p->done),
                   chunk_len(p->r.len, p->done));
        atomic_store_explicit(s, 0, memory_order_release);
        p->done++;
        moved = 1;
    }
    if (moved) shm_kick(p->peer);
    if (p->done == total) {
        cp.stage_busy[p->peer] = 0;
        p->op->done = 1;
    }
    return moved;
}

static int pull_step(struct pull *p)
{
    switch (p->mode) {
    case PULL_CMA: {
        int rc = cma_step(p);
        if (rc >= 0) return rc;
        cp.use_cma = 0; /* the kernel refuses: stop trying for every peer */
    }
        p->mode = PULL_WAIT_STAGE;
        /* fall through */
    case PULL_WAIT_STAGE:
        if (!pipe_start(p) || p->op->done) return p->op->done;
        /* fall through */
    case PULL_CTS:
        if (!pipe_send_cts(p)) return 0;
        /* fall through */
    case PULL_PIPE:
        return pipe_drain(p);
    }
    return 0;
}

/* A pull is over: its bounced bytes reach their regions, and it goes. */
static void pull_free(struct pull *p)
{
    if (p->bounce && !p->op->error) {
        struct iov_cursor cu = {p->op->dst_iov, p->op->dst_iovcnt, 0, 0};
        iov_copy(&cu, 0, p->bounce, p->r.len, 1);
    }
    free(p->bounce);
    free(p->riov);
    free(p);
}

/* Whether a pull into scattered regions goes through a bounce buffer: by
 * CMA into small regions (LOCAL_IOV_MIN), or from a contiguous source the
 * sender may help copy (ask_help), which a scattered destination forgoes:
 * a halo face of 64 KiB blocks sent packed, pulled straight into the
 * regions by the receiver alone, took 27 against 18 us (128 KiB) and 66
 * against 50 (512 KiB) for both sides pulling into a bounce buffer. The
 * pipelined copy (no CMA) scatters from the staging slots directly. */
static int bounce_dst(const struct ferry_rndv *r, const struct ferry_pull *op)
{
    if (!cp.use_cma) return 0;
    if (r->len / (op->dst_iovcnt ? op->dst_iovcnt : 1) < LOCAL_IOV_MIN) return 1;
    return !(r->key & FERRY_RNDV_IOV) && !cp.help_off;
}

int copy_pull(int peer, int rank, const struct ferry_rndv *r, void *dst, struct ferry_pull *op)
{
    struct pull *p = calloc(1, sizeof *p);
    if (!p) return FERRY_ERR_NOMEM;
    if (op->dst_iov && bounce_dst(r, op)) {
        if (!(dst = p->bounce = malloc(r->len ? r->len : 1))) {
            free(p);
            return FERRY_ERR_NOMEM;
        }
    }
    p->op = op;
    p->peer = peer;
    p->rank = rank;
    p->r = *r;
    p->dst = dst;
    p->mode = cp.use_cma ? PULL_CMA : PULL_WAIT_STAGE;
    op->done = 0;
    op->error = FERRY_OK;
    if (!r->len) {
        op->done = 1;
        pull_free(p);
        return FERRY_OK;
    }
    if ((r->key & FERRY_RNDV_IOV) || (op->dst_iov && !p->bounce)) {
        /* fetch_regions() sets rcur for a scattered source. */
        p->scattered = 1;
        p->rone = (struct iovec){(void *)(uintptr_t)r->addr, r->len};
        p->rcur = (struct iov_cursor){&p->rone, 1, 0, 0};
        p->lone = (struct iovec){dst, r->len};
        p->lcur = op->dst_iov && !p->bounce ? (struct iov_cursor){op->dst_iov, op->dst_iovcnt, 0, 0}
                                            : (struct iov_cursor){&p->lone, 1, 0, 0};
    }
    p->chunk = p->scattered ? CMA_CHUNK : chunk_for(r->len);
    if (p->mode == PULL_CMA && cp.cma_ok[peer] && r->len > p->chunk) ask_help(p, 0);
    pull_step(p);
    if (op->done) {
        pull_free(p);
        return FERRY_OK;
    }
    p->next = cp.pulls;
    cp.pulls = p;
    return FERRY_OK;
}

int copy_on_cts(int peer, const struct shm_cts *cts)
{
    struct shm_seg_hdr *sh = shm_base();
    if (cts->stage_off < sh->heap_off || cts->stage_off > sh->size - SHM_STAGE_BYTES ||
        !ferry_rndv_check(cts->r.cookie, cts->r.addr, cts->r.len)) {
        ferry_log("dropping a malformed copy request from local rank %d", peer);
        return FERRY_ERR_PEER;
    }
    struct pump *p = calloc(1, sizeof *p);
    if (!p) return FERRY_ERR_NOMEM;
    p->peer = peer;
    p->st = (struct stage *)((char *)sh + cts->stage_off);
    p->src = (const char *)(uintptr_t)cts->r.addr;
    p->len = cts->r.len;
    /* Scattered by our own record of the send, whatever the peer says. */
    uint64_t key = ferry_rndv_key(cts->r.cookie);
    if (key & FERRY_RNDV_IOV)
        p->cur = (struct iov_cursor){(const struct iovec *)(uintptr_t)cts->r.addr,
                                     key & FERRY_RNDV_IOV_COUNT, 0, 0};
    p->next = cp.pumps;
    cp.pumps = p;
    return FERRY_OK;
}

int copy_on_help(int peer, const struct shm_help *help)
{
    struct shm_seg_hdr *sh = shm_base();
    uint64_t off = help->slot_off;
    /* Our own buffer of a send still outstanding, a slot inside the heap,
     * a sane chunk: anything else is not a request we make sense of. */
    if (off < sh->heap_off || off > sh->size - sizeof(struct claim_slot) || off % SHM_CACHELINE ||
        help->chunk < 4096 || help->chunk > (1u << 30) ||
        !ferry_rndv_check(help->r.cookie, help->r.addr, help->r.len) ||
        cma_chunks(help->r.len, help->chunk) > UINT32_MAX) {
        ferry_log("dropping a malformed copy request from local rank %d", peer);
        return FERRY_ERR_PEER;
    }
    /* Never asked for a scattered send (ask_help): nothing to write from. */
    if (cp.help_off || (ferry_rndv_key(help->r.cookie) & FERRY_RNDV_IOV)) return FERRY_OK;
    struct help *h = calloc(1, sizeof *h);
    if (!h) return FERRY_ERR_NOMEM;
    h->peer = peer;
    h->slot = (struct claim_slot *)((char *)sh + off);
    h->gen = help->gen;
    h->src = (const char *)(uintptr_t)help->r.addr;
    h->dst = help->dst;
    h->len = help->r.len;
    h->chunk = help->chunk;
    h->nchunks = cma_chunks(h->len, h->chunk);
    h->next = cp.helps;
    cp.helps = h;
    return FERRY_OK;
}

/* One chunk into the receiver's buffer. 1 on progress, 0 when not now, -1
 * when this help is over (nothing left to take, or the copy failed: the
 * chunk goes back). */
static int help_step(struct help *h)
{
    /* A rank pulling messages of its own is not idle: the help would only
     * add system calls to both sides' work (both directions of a
     * bidirectional stream). Its receiver goes on without it. */
    if (cp.pulls) return 0;
    int64_t c = claim(h->slot, h->gen, h->nchunks);
    if (c < 0) return -1;
    uint64_t n = cma_chunk_len(h->len, h->chunk, (uint64_t)c);
    uint64_t off = (uint64_t)c * h->chunk;
    int err = cma_copy(shm_peer_pid(h->peer), (char *)h->src + off, h->dst + off, n, 1);
    if (err) {
        if (refused(err)) cp.help_off = 1;
        atomic_store_explicit(&h->slot->handback, (uint64_t)h->gen << 32 | (uint64_t)(c + 1),
                              memory_order_release);
        shm_kick(h->peer);
        return -1;
    }
    if (atomic_fetch_add_explicit(&h->slot->done, n, memory_order_acq_rel) + n == h->len)
        shm_kick(h->peer); /* the receiver may sleep, waiting for this chunk */
    return 1;
}

static int pump_step(struct pump *p)
{
    uint64_t total = nchunks(p->len);
    int moved = 0;
    while (p->chunk < total) {
        _Atomic uint64_t *s = &p->st->state[p->chunk % SHM_STAGE_SLOTS];
        if (atomic_load_explicit(s, memory_order_acquire) != 0) break;
        if (p->cur.iov)
            iov_copy(&p->cur, p->chunk * SHM_STAGE_SLOT_BYTES, slot_data(p->st, p->chunk),
                     chunk_len(p->len, p->chunk), 0);
        else
            memcpy(slot_data(p->st, p->chunk), p->src + p->chunk * SHM_STAGE_SLOT_BYTES,
                   chunk_len(p->len, p->chunk));
        atomic_store_explicit(s, p->chunk + 1, memory_order_release);
        p->chunk++;
        moved = 1;
    }
    if (moved) shm_kick(p->peer);
    return moved;
}

int copy_progress(void)
{
    if (!cp.pulls && !cp.pumps && !cp.helps) return 0;
    int n = 0;
    for (struct pull **pp = &cp.pulls; *pp;) {
        struct pull *p = *pp;
        n += pull_step(p);
        if (p->op->done) {
            *pp = p->next;
            pull_free(p);
        } else {
            pp = &p->next;
        }
    }
    for (struct pump **pp = &cp.pumps; *pp;) {
        struct pump *p = *pp;
        n += pump_step(p);
        if (p->chunk == nchunks(p->len)) {
            *pp = p->next;
            free(p);
        } else {
            pp = &p->next;
        }
    }
    for (struct help **hp = &cp.helps; *hp;) {
        struct help *h = *hp;
        int rc = help_step(h);
        if (rc >= 0) {
            n += rc;
            hp = &h->next;
        } else {
            *hp = h->next;
            free(h);
        }
    }
    return n;
}

int copy_ready(void)
{
    for (struct pull *p = cp.pulls; p; p = p->next) {
        if (p->mode == PULL_CMA && p->slot) {
            /* Waiting for the sender's last chunk: it kicks when done. */
            uint64_t v = atomic_load(&p->slot->next);
            if ((v & UINT32_MAX) < cma_chunks(p->r.len, p->chunk) ||
                atomic_load(&p->slot->handback) || atomic_load(&p->slot->done) == p->r.len)
                return 1;
            continue;
        }
        if (p->mode != PULL_PIPE) return 1;
        struct stage *st = (struct stage *)((char *)shm_base() + cp.stage_off[p->peer]);
        if (atomic_load(&st->state[p->done % SHM_STAGE_SLOTS]) == p->done + 1) return 1;
    }
    for (struct pump *p = cp.pumps; p; p = p->next)
        if (atomic_load(&p->st->state[p->chunk % SHM_STAGE_SLOTS]) == 0) return 1;
    return cp.helps != NULL;
}
