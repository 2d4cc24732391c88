#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "include/ferry.h"
#include "runtime/core/world.h"
#include "transports/shm/copy.h"
#include "transports/shm/layout.h"
#include "transports/shm/ring.h"

/* Bytes per process_vm_readv call: large enough to amortise the syscall,
 * small enough that a huge message does not stall other peers' frames. */
#define CMA_CHUNK (1u << 20)

enum pull_mode { PULL_CMA, PULL_WAIT_STAGE, PULL_CTS, PULL_PIPE };

struct stage {
    _Atomic uint64_t state[SHM_STAGE_SLOTS]; /* 0: empty; c+1: holds chunk c */
};

struct pull {
    struct pull *next;
    struct ferry_pull *op;
    int peer, rank;
    enum pull_mode mode;
    struct ferry_rndv r;
    char *dst;
    uint64_t done; /* bytes (CMA) or chunks (pipe) done */
};

struct pump {
    struct pump *next;
    int peer;
    struct stage *st;
    const char *src;
    uint64_t len, chunk;
};

static struct {
    int use_cma;
    struct pull *pulls;
    struct pump *pumps;
    /* Receiver-owned staging per sending peer, allocated on first use. */
    uint64_t *stage_off;
    char *stage_busy;
    int nlocal;
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
    cp.nlocal = ferry_w.local_size;
    cp.stage_off = calloc((size_t)cp.nlocal, sizeof *cp.stage_off);
    cp.stage_busy = calloc((size_t)cp.nlocal, 1);
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
    free(cp.stage_off);
    free(cp.stage_busy);
    cp.stage_off = NULL;
    cp.stage_busy = NULL;
}

/* One CMA chunk. Returns 1 on progress, 0 when the kernel refused CMA (the
 * pull then switches to the pipelined copy), or sets the op's error. */
static int cma_step(struct pull *p)
{
    uint64_t n = p->r.len - p->done;
    if (n > CMA_CHUNK) n = CMA_CHUNK;
    struct iovec local = {p->dst + p->done, n};
    struct iovec remote = {(void *)(uintptr_t)(p->r.addr + p->done), n};
    ssize_t got = process_vm_readv(shm_peer_pid(p->peer), &local, 1, &remote, 1, 0);
    if (got < 0) {
        if (errno == EPERM || errno == ENOSYS || errno == EACCES) return 0;
        ferry_log("reading %llu bytes from rank %d failed: %s", (unsigned long long)n, p->rank,
                  strerror(errno));
        p->op->error = FERRY_ERR_TRANSPORT;
        p->op->done = 1;
        return 1;
    }
    p->done += (uint64_t)got;
    if (p->done == p->r.len) p->op->done = 1;
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
    case PULL_CMA:
        if (cma_step(p)) return 1;
        cp.use_cma = 0; /* the kernel refuses: stop trying for every peer */
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

int copy_pull(int peer, int rank, const struct ferry_rndv *r, void *dst, struct ferry_pull *op)
{
    struct pull *p = calloc(1, sizeof *p);
    if (!p) return FERRY_ERR_NOMEM;
    p->op = op;
    p->peer = peer;
    p->rank = rank;
    p->r = *r;
    p->dst = dst;
    p->mode = cp.use_cma ? PULL_CMA : PULL_WAIT_STAGE;
    op->done = 0;
    op->error = FERRY_OK;
    pull_step(p);
    if (op->done) {
        free(p);
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
    p->next = cp.pumps;
    cp.pumps = p;
    return FERRY_OK;
}

static int pump_step(struct pump *p)
{
    uint64_t total = nchunks(p->len);
    int moved = 0;
    while (p->chunk < total) {
        _Atomic uint64_t *s = &p->st->state[p->chunk % SHM_STAGE_SLOTS];
        if (atomic_load_explicit(s, memory_order_acquire) != 0) break;
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
    int n = 0;
    for (struct pull **pp = &cp.pulls; *pp;) {
        struct pull *p = *pp;
        n += pull_step(p);
        if (p->op->done) {
            *pp = p->next;
            free(p);
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
    return n;
}

int copy_ready(void)
{
    for (struct pull *p = cp.pulls; p; p = p->next) {
        if (p->mode != PULL_PIPE) return 1;
        struct stage *st = (struct stage *)((char *)shm_base() + cp.stage_off[p->peer]);
        if (atomic_load(&st->state[p->done % SHM_STAGE_SLOTS]) == p->done + 1) return 1;
    }
    for (struct pump *p = cp.pumps; p; p = p->next)
        if (atomic_load(&p->st->state[p->chunk % SHM_STAGE_SLOTS]) == 0) return 1;
    return 0;
}
