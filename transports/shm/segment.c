#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "include/ferry.h"
#include "transports/shm/layout.h"
#include "transports/shm/memheap.h"
#include "transports/shm/ring.h"
#include "transports/shm/segment.h"

#define ALIGN_UP(x, a) (((x) + (a)-1) / (a) * (a))

/* Heap room: a ring per ordered pair that talks, plus staging buffers for
 * the copy fallback. Sparse, so sizing for every pair costs nothing until
 * pairs actually talk. */
static size_t heap_bytes(int nlocal)
{
    size_t pairs = (size_t)nlocal * (size_t)nlocal;
    return pairs * (shm_ring_bytes(shm_ring_cells_for(nlocal)) + SHM_STAGE_BYTES) +
           ((size_t)64 << 20);
}

/* Why the last creation failed, for the caller's message. */
static char seg_why[256];

const char *shm_segment_error(void)
{
    return seg_why[0] ? seg_why : "no error";
}

static int failed(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int failed(int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(seg_why, sizeof seg_why, fmt, ap);
    va_end(ap);
    return rc;
}

/* How many bytes the file system under fd can still hold: a sized tmpfs
 * (/dev/shm) says so; a memfd's is unbounded, so the node's memory. */
static size_t room_for(int fd)
{
    struct statfs sf;
    if (fstatfs(fd, &sf) == 0 && sf.f_blocks > 0) return (size_t)sf.f_bavail * (size_t)sf.f_bsize;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (size_t)pages * (size_t)page : SIZE_MAX;
}

#define MIB ((size_t)1 << 20)

/* The shared heap for out-of-line memory: FERRY_SHM_HEAP_MB in the
 * launcher's environment, else 4 GiB or half the room left, the smaller
 * (sparse: untouched pages cost nothing). A heap the node cannot hold is
 * an error now, not a SIGBUS when a rank first touches it. */
static int mem_bytes(size_t fixed, size_t room, size_t *out)
{
    const char *s = getenv("FERRY_SHM_HEAP_MB");
    if (!s || !*s) {
        size_t half = room > fixed ? (room - fixed) / 2 / MIB * MIB : 0;
        *out = half < ((size_t)4096 << 20) ? half : (size_t)4096 << 20;
        if (*out < MIB)
            return failed(FERRY_ERR_NOMEM,
                          "the node's shared memory has room for %zu MiB, too little for the "
                          "segment's %zu MiB and a heap",
                          room / MIB, fixed / MIB);
        return FERRY_OK;
    }
    char *end;
    errno = 0;
    unsigned long long mb = strtoull(s, &end, 10);
    if (errno || *end || *s == '-' || mb < 1 || mb > (1ULL << 24))
        return failed(FERRY_ERR_INVALID,
                      "FERRY_SHM_HEAP_MB='%.32s' is not a number of MiB from 1 to %llu", s,
                      1ULL << 24);
    *out = (size_t)mb * MIB;
    if (fixed + *out > room)
        return failed(FERRY_ERR_NOMEM,
                      "FERRY_SHM_HEAP_MB=%llu is more than the node's shared memory can hold "
                      "(%zu MiB, of which the segment's control data and rings take %zu MiB)",
                      mb, room / MIB, fixed / MIB);
    return FERRY_OK;
}

/* Lay out and initialise a segment for nlocal ranks in the empty file fd. */
static int init_segment(int fd, int nlocal, size_t *size_out)
{
    size_t ctl_off = 4096;
    size_t dir_off = ALIGN_UP(ctl_off + (size_t)nlocal * sizeof(struct shm_ctl), 4096);
    size_t heap_off = ALIGN_UP(dir_off + (size_t)nlocal * nlocal * sizeof(uint64_t), 4096);
    size_t mem_off = ALIGN_UP(heap_off + heap_bytes(nlocal), 4096);
    /* Rings are sized for every pair, but only pairs that talk take room:
     * weighed against the room are the control data and a ring per rank. */
    size_t fixed = heap_off + (size_t)nlocal * shm_ring_bytes(shm_ring_cells_for(nlocal)), heap = 0;
    int rc = mem_bytes(fixed, room_for(fd), &heap);
    if (rc) return rc;
    size_t size = mem_off + heap;

    if (ftruncate(fd, (off_t)size) != 0)
        return failed(FERRY_ERR_NOMEM, "cannot size the segment to %zu MiB: %s", size / MIB,
                      strerror(errno));
    /* Every rank touches the control data from the start: its pages are
     * made now, so a node without room says so here. */
    rc = posix_fallocate(fd, 0, (off_t)heap_off);
    if (rc != 0)
        return failed(FERRY_ERR_NOMEM,
                      "the node's shared memory cannot hold the segment's %zu KiB of control "
                      "data for %d ranks: %s",
                      heap_off >> 10, nlocal, strerror(rc));
    void *base = mmap(NULL, heap_off, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED)
        return failed(FERRY_ERR_NOMEM, "cannot map the segment: %s", strerror(errno));
    struct shm_seg_hdr *h = base;
    h->version = SHM_VERSION;
    h->nlocal = (uint32_t)nlocal;
    h->size = size;
    h->ctl_off = ctl_off;
    h->dir_off = dir_off;
    h->heap_off = heap_off;
    atomic_store(&h->heap_top, heap_off);
    h->mem_off = mem_off;
    h->mem_size = size - mem_off;
    /* Initialising touches only the heap's first and last pages. */
    void *mem = mmap(NULL, h->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)mem_off);
    if (mem == MAP_FAILED || memheap_init(mem, h->mem_size) != FERRY_OK) {
        int e = errno;
        if (mem != MAP_FAILED) munmap(mem, h->mem_size);
        munmap(base, heap_off);
        return failed(FERRY_ERR_NOMEM, "cannot map the segment's %zu MiB heap: %s",
                      h->mem_size / MIB, mem == MAP_FAILED ? strerror(e) : "cannot set it up");
    }
    munmap(mem, h->mem_size);
    /* The magic last: a segment with it is complete. */
    atomic_thread_fence(memory_order_release);
    h->magic = SHM_MAGIC;
    munmap(base, heap_off);
    if (size_out) *size_out = size;
    return FERRY_OK;
}

int shm_segment_create(int nlocal, int *fd_out, size_t *size_out)
{
    seg_why[0] = '\0';
    if (nlocal < 1 || nlocal > SHM_MAX_LOCAL)
        return failed(FERRY_ERR_INVALID, "%d ranks on one node (at most %d)", nlocal,
                      SHM_MAX_LOCAL);
    int fd = memfd_create("ferry-shm", 0); /* no MFD_CLOEXEC: ranks inherit it */
    if (fd < 0) return failed(FERRY_ERR_NOMEM, "memfd_create: %s", strerror(errno));
    int rc = init_segment(fd, nlocal, size_out);
    if (rc) {
        close(fd);
        return rc;
    }
    *fd_out = fd;
    return FERRY_OK;
}

/* Whether the segment in fd is complete: big enough and with its magic. */
static int complete(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size < 4096) return 0;
    struct shm_seg_hdr *h = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    if (h == MAP_FAILED) return 0;
    int ok = atomic_load_explicit((_Atomic uint64_t *)&h->magic, memory_order_acquire) == SHM_MAGIC;
    munmap(h, 4096);
    return ok;
}

int shm_segment_open_named(const char *name, int nlocal, int timeout_ms, int *fd_out)
{
    seg_why[0] = '\0';
    if (nlocal < 1 || nlocal > SHM_MAX_LOCAL) return FERRY_ERR_INVALID;
    int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        int rc = init_segment(fd, nlocal, NULL);
        if (rc) {
            close(fd);
            shm_unlink(name);
            return rc;
        }
        *fd_out = fd;
        return FERRY_OK;
    }
    if (errno != EEXIST) return failed(FERRY_ERR_NOMEM, "shm_open %s: %s", name, strerror(errno));
    /* Another local rank made it: wait until it is complete. */
    for (int waited = 0;; waited++) {
        fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
        if (fd >= 0 && complete(fd)) {
            *fd_out = fd;
            return FERRY_OK;
        }
        if (fd >= 0) close(fd);
        if (waited >= timeout_ms) return FERRY_ERR_TIMEOUT;
        usleep(1000);
    }
}

uint64_t shm_heap_alloc(void *base, size_t bytes)
{
    struct shm_seg_hdr *h = base;
    uint64_t want = ALIGN_UP(bytes, 4096);
    uint64_t off = atomic_fetch_add(&h->heap_top, want);
    /* Rings end where the out-of-line heap begins. */
    if (off + want > h->mem_off) return 0;
    /* Make the pages now: on a node out of shared memory this fails here,
     * where the caller can say so, instead of a SIGBUS on first touch. */
    if (madvise((char *)base + off, want, MADV_POPULATE_WRITE) != 0 && errno != EINVAL) return 0;
    return off;
}
