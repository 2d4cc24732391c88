/* The shared-memory transport: rings between ranks of one node, created by
 * the sender on first use, and copy.c for large messages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "include/ferry.h"
#include "runtime/core/world.h"
#include "runtime/wireup/pmi_client.h"
#include "transports/shm/copy.h"
#include "transports/shm/doorbell.h"
#include "transports/shm/layout.h"
#include "transports/shm/memheap.h"
#include "transports/shm/numa.h"
#include "transports/shm/ring.h"
#include "transports/shm/segment.h"

/* Frames taken from one ring per poll before moving to the next, so one
 * busy sender cannot starve the others. */
#define POLL_BATCH 16

static struct {
    void *base;
    size_t size;
    int me, nlocal;
    uint32_t ring_cells; /* of every ring on this node */
    struct shm_ctl *self;
    ferry_frame_fn deliver;
    struct shm_ring_tx *tx; /* [nlocal], by receiver; sh == NULL until first send */
    struct shm_ring_rx *rx; /* incoming rings in directory order */
    char *rx_dead;          /* a ring that sent a malformed frame is ignored */
    int nrx, rr;
    char named[192]; /* the named segment while it still has its name */
} shm;

void *shm_base(void)
{
    return shm.base;
}

void *shm_mem_region(size_t *size)
{
    if (!shm.base) return NULL;
    struct shm_seg_hdr *h = shm.base;
    *size = h->mem_size;
    return (char *)shm.base + h->mem_off;
}

int32_t shm_peer_pid(int peer)
{
    return atomic_load_explicit(&shm_ctl_of(shm.base, peer)->pid, memory_order_relaxed);
}

void shm_kick(int peer)
{
    doorbell_ring(shm_ctl_of(shm.base, peer));
}

static int env_off(const char *name)
{
    const char *s = getenv(name);
    return s && strcmp(s, "0") == 0;
}

static int attach(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size < 4096) {
        ferry_log("FERRY_SHM_FD=%d is not a Ferry segment", fd);
        return FERRY_ERR_TRANSPORT;
    }
    shm.size = (size_t)st.st_size;
    shm.base = mmap(NULL, shm.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (shm.base == MAP_FAILED) {
        shm.base = NULL;
        return FERRY_ERR_NOMEM;
    }
    struct shm_seg_hdr *h = shm.base;
    if (h->magic != SHM_MAGIC || h->version != SHM_VERSION || h->size != shm.size ||
        h->mem_off > h->size || h->mem_size != h->size - h->mem_off ||
        (int)h->nlocal != ferry_w.local_size) {
        ferry_log("shared segment does not match this job (%u ranks in it, %d on this node)",
                  h->nlocal, ferry_w.local_size);
        return FERRY_ERR_TRANSPORT;
    }
    return FERRY_OK;
}

/* Without an inherited segment (ranks started by another PMI-1 launcher,
 * such as Hydra), the node's ranks share a named one: its name comes from
 * the job's KVS name and the node, so it is unique per job and node. */
static int named_open(struct ferry_world *w, int *fd)
{
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    const char *id = getenv("FERRY_NODE_ID"), *kvs = pmi_client_kvsname();
    uint64_t h = 1469598103934665603ULL; /* FNV-1a of the node */
    for (const char *p = host; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (const char *p = id ? id : ""; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    int n = snprintf(shm.named, sizeof shm.named, "/ferry-%.*s-%016llx", 128, kvs,
                     (unsigned long long)h);
    for (int i = 1; i < n; i++)
        if (shm.named[i] == '/') shm.named[i] = '_';
    int rc = shm_segment_open_named(shm.named, w->local_size, 30000, fd);
    if (rc) {
        const char *why = shm_segment_error();
        ferry_log("cannot share the node's named segment %s with %d local ranks: %s", shm.named,
                  w->local_size, strcmp(why, "no error") ? why : ferry_strerror(rc));
        shm.named[0] = '\0';
    }
    return rc;
}

/* The name goes as soon as every local rank holds the segment: the last to
 * arrive (or any that sees them all) unlinks it. */
static void named_release(void)
{
    if (!shm.named[0]) return;
    for (int i = 0; i < shm.nlocal; i++)
        if (!atomic_load(&shm_ctl_of(shm.base, i)->pid)) return;
    shm_unlink(shm.named);
    shm.named[0] = '\0';
}

static int shm_init(struct ferry_world *w, ferry_frame_fn deliver)
{
    shm.deliver = deliver;
    shm.me = w->local_rank;
    shm.nlocal = w->local_size;
    shm.ring_cells = shm_ring_cells_for(shm.nlocal);
    const char *fds = getenv("FERRY_SHM_FD");
    long fd;
    if (!fds) {
        if (w->local_size == 1) return FERRY_OK; /* no node peers: nothing to share */
        int nfd, rc = named_open(w, &nfd);
        if (rc) return FERRY_ERR_TRANSPORT;
        fd = nfd;
    } else {
        char *end;
        fd = strtol(fds, &end, 10);
        if (*end || fd < 0 || fd > 1 << 20) return FERRY_ERR_TRANSPORT;
    }
    int rc = attach((int)fd);
    if (rc) return rc;
    shm.self = shm_ctl_of(shm.base, shm.me);
    /* Senders skip their fence only when each rank has a core: ranks that
     * share cores sleep often, and each sleep's barrier would interrupt
     * the rank running on the other cores. FERRY_SHM_MEMBARRIER=0: every
     * sender fences (doorbell.h). */
    doorbell_init(shm.self,
                  !env_off("FERRY_SHM_MEMBARRIER") && w->ncores > 0 && w->local_size <= w->ncores);
    atomic_store(&shm.self->pid, (int32_t)getpid());
    named_release();
    /* Let node peers read our buffers with process_vm_readv under Yama. */
    prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
    shm.tx = calloc((size_t)shm.nlocal, sizeof *shm.tx);
    shm.rx = calloc((size_t)shm.nlocal, sizeof *shm.rx);
    shm.rx_dead = calloc((size_t)shm.nlocal, 1);
    if (!shm.tx || !shm.rx || !shm.rx_dead) return FERRY_ERR_NOMEM;
    copy_init(!env_off("FERRY_SHM_CMA"));
    shm_numa_init();
    return FERRY_OK;
}

static int shm_connect(struct ferry_world *w)
{
    return FERRY_OK;
}

static int shm_reaches(int rank)
{
    return shm.base && rank != ferry_w.rank && ferry_w.local_index[rank] >= 0;
}

/* Make the ring to a node peer and announce it in the peer's directory row. */
static int ring_create(int peer)
{
    size_t bytes = shm_ring_bytes(shm.ring_cells);
    uint64_t off = shm_heap_alloc(shm.base, bytes);
    if (!off) {
        ferry_log("shared segment exhausted making a ring to local rank %d", peer);
        return FERRY_ERR_NOMEM;
    }
    void *mem = (char *)shm.base + off;
    shm_ring_init(mem, shm.ring_cells, (uint32_t)shm.me);
    shm_ring_tx_attach(&shm.tx[peer], mem);
    struct shm_ctl *c = shm_ctl_of(shm.base, peer);
    uint32_t slot = atomic_fetch_add(&c->nin, 1);
    atomic_store_explicit(&shm_dir_row(shm.base, peer)[slot], off, memory_order_release);
    return FERRY_OK;
}

int shm_send_internal(int peer, const struct ferry_hdr *h, const void *p, size_t len)
{
    struct shm_ring_tx *tx = &shm.tx[peer];
    if (!tx->sh) {
        int rc = ring_create(peer);
        if (rc) return rc;
    }
    if (shm_ring_push(tx, h, p, len) != 0) return FERRY_ERR_WOULDBLOCK;
    doorbell_ring(shm_ctl_of(shm.base, peer));
    return FERRY_OK;
}

static int shm_send(int rank, const struct ferry_hdr *h, const void *p, size_t len)
{
    return shm_send_internal(ferry_w.local_index[rank], h, p, len);
}

static int shm_pull(int rank, const struct ferry_rndv *r, void *dst, struct ferry_pull *op)
{
    return copy_pull(ferry_w.local_index[rank], rank, r, dst, op);
}

/* Attach rings that peers registered since the last poll. */
static void attach_new_rings(void)
{
    uint32_t n = atomic_load_explicit(&shm.self->nin, memory_order_acquire);
    struct shm_seg_hdr *sh = shm.base;
    while ((uint32_t)shm.nrx < n && shm.nrx < shm.nlocal) {
        uint64_t off =
            atomic_load_explicit(&shm_dir_row(shm.base, shm.me)[shm.nrx], memory_order_acquire);
        if (!off) return; /* slot taken, ring not yet published */
        struct shm_ring_shared *r = (void *)((char *)shm.base + off);
        if (off < sh->heap_off || off > shm.size - shm_ring_bytes(shm.ring_cells) ||
            r->cells != shm.ring_cells || r->sender >= (uint32_t)shm.nlocal) {
            ferry_log("ignoring a malformed ring in the shared segment");
            shm.rx_dead[shm.nrx] = 1;
            shm.rx[shm.nrx].sh = NULL;
        } else {
            /* The sender has touched the ring's first lines only: the rest,
             * which this rank polls, comes from its own node. */
            shm_numa_place(r, shm_ring_bytes(shm.ring_cells));
            shm_ring_rx_attach(&shm.rx[shm.nrx], r);
        }
        shm.nrx++;
    }
}

static int drain(int i)
{
    struct shm_ring_rx *rx = &shm.rx[i];
    int n = 0;
    const struct ferry_hdr *h;
    const void *p;
    size_t len;
    int rank = ferry_w.local_ranks[rx->sender];
    while (n < POLL_BATCH) {
        int got = shm_ring_peek(rx, &h, &p, &len);
        if (got == 0) break;
        if (got < 0 || h->src != (uint32_t)rank) {
            ferry_log("malformed frame from rank %d: ignoring its ring from now on", rank);
            shm.rx_dead[i] = 1;
            break;
        }
        if (h->kind == SHM_FRAME_CTS) {
            if (len == sizeof(struct shm_cts)) {
                struct shm_cts cts;
                memcpy(&cts, p, sizeof cts);
                copy_on_cts((int)rx->sender, &cts);
            }
        } else if (h->kind == SHM_FRAME_HELP) {
            if (len == sizeof(struct shm_help)) {
                struct shm_help help;
                memcpy(&help, p, sizeof help);
                copy_on_help((int)rx->sender, &help);
            }
        } else if (h->kind < FRAME_TRANSPORT) {
            shm.deliver(h, p, len);
        }
        shm_ring_pop(rx);
        n++;
    }
    return n;
}

static int shm_poll(void)
{
    if (!shm.base) return 0;
    attach_new_rings();
    int n = 0;
    /* From ring rr to the last, then from the first (no division: this
     * loop is what a waiting rank spins on). */
    for (int i = shm.rr; i < shm.nrx; i++)
        if (!shm.rx_dead[i]) n += drain(i);
    for (int i = 0; i < shm.rr; i++)
        if (!shm.rx_dead[i]) n += drain(i);
    if (++shm.rr >= shm.nrx) shm.rr = 0;
    return n + copy_progress();
}

static int shm_ready(void)
{
    if (atomic_load(&shm.self->nin) != (uint32_t)shm.nrx) return 1;
    for (int i = 0; i < shm.nrx; i++) {
        const struct ferry_hdr *h;
        const void *p;
        size_t len;
        if (!shm.rx_dead[i] && shm_ring_peek(&shm.rx[i], &h, &p, &len)) return 1;
    }
    return copy_ready();
}

static void shm_sleep(int timeout_ms)
{
    if (shm.base) doorbell_sleep(shm.self, shm_ready, timeout_ms);
}

/* Ringing one's own doorbell ends one's own sleep. */
static void shm_wake(void)
{
    if (shm.base) doorbell_ring(shm.self);
}

static void shm_fini(void)
{
    if (!shm.base) return;
    copy_fini();
    shm_numa_fini();
    atomic_store(&shm.self->pid, 0);
    munmap(shm.base, shm.size);
    free(shm.tx);
    free(shm.rx);
    free(shm.rx_dead);
    memset(&shm, 0, sizeof shm);
}

const struct ferry_transport_ops ferry_transport_shm = {
    .name = "shm",
    .init = shm_init,
    .connect = shm_connect,
    .reaches = shm_reaches,
    .send = shm_send,
    .pull = shm_pull,
    .poll = shm_poll,
    .sleep = shm_sleep,
    .wake = shm_wake,
    .fini = shm_fini,
    .caps = {.max_eager = 16384, .can_pull = 1, .pull_iov = 1},
};
