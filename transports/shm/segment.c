#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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
    return pairs * (shm_ring_bytes(SHM_RING_CELLS) + SHM_STAGE_BYTES) + ((size_t)64 << 20);
}

/* The shared heap for out-of-line memory: FERRY_SHM_HEAP_MB in the
 * launcher's environment, 4 GiB by default (sparse: untouched pages cost
 * nothing). */
static size_t mem_bytes(void)
{
    const char *s = getenv("FERRY_SHM_HEAP_MB");
    char *end;
    unsigned long long mb = s ? strtoull(s, &end, 10) : 4096;
    if (!s || *end || mb < 1 || mb > (1ULL << 24)) mb = 4096;
    return (size_t)mb << 20;
}

/* Lay out and initialise a segment for nlocal ranks in the empty file fd. */
static int init_segment(int fd, int nlocal, size_t *size_out)
{
    size_t ctl_off = 4096;
    size_t dir_off = ALIGN_UP(ctl_off + (size_t)nlocal * sizeof(struct shm_ctl), 4096);
    size_t heap_off = ALIGN_UP(dir_off + (size_t)nlocal * nlocal * sizeof(uint64_t), 4096);
    size_t mem_off = ALIGN_UP(heap_off + heap_bytes(nlocal), 4096);
    size_t size = mem_off + mem_bytes();

    if (ftruncate(fd, (off_t)size) != 0) return FERRY_ERR_NOMEM;
    void *base = mmap(NULL, heap_off, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) return FERRY_ERR_NOMEM;
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
        if (mem != MAP_FAILED) munmap(mem, h->mem_size);
        munmap(base, heap_off);
        return FERRY_ERR_NOMEM;
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
    if (nlocal < 1 || nlocal > SHM_MAX_LOCAL) return FERRY_ERR_INVALID;
    int fd = memfd_create("ferry-shm", 0); /* no MFD_CLOEXEC: ranks inherit it */
    if (fd < 0) return FERRY_ERR_NOMEM;
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
    if (errno != EEXIST) return FERRY_ERR_NOMEM;
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
    if (off + want > h->size) return 0;
    return off;
}
