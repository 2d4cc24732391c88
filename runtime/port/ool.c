#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "include/ferry.h"
#include "runtime/core/api.h"
#include "runtime/core/world.h"
#include "runtime/port/ool.h"
#include "transports/shm/memheap.h"
#include "runtime/progress/lock.h"

/* A rank without a node segment keeps a private heap, reserved lazily. */
#define PRIVATE_HEAP ((size_t)1 << 30)
static char *priv;

static char *heap(size_t *size)
{
    char *r = shm_mem_region(size);
    if (r) return r;
    if (!priv) {
        void *m = mmap(NULL, PRIVATE_HEAP, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) return NULL;
        if (memheap_init(m, PRIVATE_HEAP) != FERRY_OK) {
            munmap(m, PRIVATE_HEAP);
            return NULL;
        }
        priv = m;
    }
    *size = PRIVATE_HEAP;
    return priv;
}

void ool_fini(void)
{
    if (priv) munmap(priv, PRIVATE_HEAP);
    priv = NULL;
}

/* The heap offset of a pointer that starts a live block, or 0. */
static uint64_t block_of(const void *p, size_t *usable)
{
    size_t size;
    char *h = heap(&size);
    if (!h || (const char *)p < h || (const char *)p >= h + size) return 0;
    uint64_t off = (uint64_t)((const char *)p - h);
    *usable = memheap_usable(h, off);
    return *usable ? off : 0;
}

FERRY_API int ferry_mem_alloc(size_t len, void **ptr)
{
    LOCKED();
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (!ptr) return FERRY_ERR_INVALID;
    size_t size;
    char *h = heap(&size);
    uint64_t off = h ? memheap_alloc(h, len) : 0;
    if (!off) return FERRY_ERR_NOMEM;
    *ptr = h + off;
    return FERRY_OK;
}

FERRY_API int ferry_mem_free(void *ptr)
{
    LOCKED();
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    size_t usable, size;
    uint64_t off = block_of(ptr, &usable);
    if (!off) return FERRY_ERR_INVALID;
    return memheap_free(heap(&size), off);
}

int ool_prepare(const ferry_region_t *in, size_t n, uint64_t *off, uint8_t *copied)
{
    size_t size;
    char *h = heap(&size);
    if (!h) return FERRY_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t usable;
        copied[i] = 0;
        off[i] = block_of(in[i].addr, &usable);
        if (off[i] && usable >= in[i].len) continue; /* a heap block: it moves */
        /* Any other buffer is copied, once, into a block that moves. */
        off[i] = memheap_alloc(h, in[i].len);
        if (!off[i]) {
            while (i--)
                if (copied[i]) memheap_free(h, off[i]);
            return FERRY_ERR_NOMEM;
        }
        if (in[i].len) memcpy(h + off[i], in[i].addr, in[i].len);
        copied[i] = 1;
    }
    return FERRY_OK;
}

int ool_check(uint64_t off, uint64_t len)
{
    size_t size;
    char *h = heap(&size);
    size_t usable = h && off < size ? memheap_usable(h, off) : 0;
    return usable && usable >= len; /* 0: not a block, whatever len says */
}

void *ool_addr(uint64_t off)
{
    size_t size;
    return heap(&size) + off;
}

void ool_release(uint64_t off)
{
    size_t size;
    char *h = heap(&size);
    if (h) memheap_free(h, off);
}

uint64_t ool_alloc(size_t len)
{
    size_t size;
    char *h = heap(&size);
    return h ? memheap_alloc(h, len) : 0;
}

int ool_force_pull(void)
{
    static int force = -1;
    if (force < 0) {
        const char *s = getenv("FERRY_OOL_PULL");
        force = s && strcmp(s, "1") == 0;
    }
    return force;
}

void ool_release_ptr(const void *p)
{
    size_t usable;
    uint64_t off = block_of(p, &usable);
    if (off) ool_release(off);
}
