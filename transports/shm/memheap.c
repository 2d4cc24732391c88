#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "include/ferry.h"
#include "transports/shm/memheap.h"

/* Every block starts with a tag; a free block also holds its free-list
 * links. prev_size lets a freed block merge with the one before it. */
struct tag {
    uint64_t size;      /* whole block, tag included; 0 marks the end */
    uint64_t prev_size; /* the block before, 0 for the first */
    uint32_t magic;
    uint32_t used;
    uint64_t next_free, prev_free; /* offsets of free blocks, 0 = none */
    char pad[MEMHEAP_ALIGN - 40];
};

_Static_assert(sizeof(struct tag) == MEMHEAP_ALIGN, "a tag is one alignment unit");

#define TAG_MAGIC 0xFE77B10Cu

struct heap {
    _Atomic uint32_t lock;
    uint32_t magic;
    uint64_t size;      /* the whole region */
    uint64_t free_head; /* first free block */
    uint64_t free_bytes;
    char pad[MEMHEAP_ALIGN - 32];
};

_Static_assert(sizeof(struct heap) == MEMHEAP_ALIGN, "the heap header is one unit");

#define HEAP_MAGIC  0xFE77EA90u
#define FIRST_BLOCK ((uint64_t)sizeof(struct heap))

static struct tag *tag_at(struct heap *h, uint64_t off)
{
    return (struct tag *)((char *)h + off);
}

/* A spin lock in shared memory: taken briefly, and never on a message's
 * fast path. */
static void lock(struct heap *h)
{
    for (int spins = 0;; spins++) {
        uint32_t expect = 0;
        if (atomic_compare_exchange_weak_explicit(&h->lock, &expect, 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return;
        if (spins > 100) sched_yield();
    }
}

static void unlock(struct heap *h)
{
    atomic_store_explicit(&h->lock, 0, memory_order_release);
}

static void list_push(struct heap *h, uint64_t off)
{
    struct tag *t = tag_at(h, off);
    t->used = 0;
    t->prev_free = 0;
    t->next_free = h->free_head;
    if (h->free_head) tag_at(h, h->free_head)->prev_free = off;
    h->free_head = off;
}

static void list_remove(struct heap *h, uint64_t off)
{
    struct tag *t = tag_at(h, off);
    if (t->prev_free)
        tag_at(h, t->prev_free)->next_free = t->next_free;
    else
        h->free_head = t->next_free;
    if (t->next_free) tag_at(h, t->next_free)->prev_free = t->prev_free;
}

int memheap_init(void *region, size_t size)
{
    size &= ~(size_t)(MEMHEAP_ALIGN - 1);
    if (size < 4 * MEMHEAP_ALIGN) return FERRY_ERR_INVALID;
    struct heap *h = region;
    memset(h, 0, sizeof *h);
    h->magic = HEAP_MAGIC;
    h->size = size;
    /* One free block, then an end tag that never merges. */
    uint64_t end = size - sizeof(struct tag);
    struct tag *t = tag_at(h, FIRST_BLOCK);
    *t = (struct tag){.size = end - FIRST_BLOCK, .magic = TAG_MAGIC};
    *tag_at(h, end) = (struct tag){.size = 0, .prev_size = t->size, .magic = TAG_MAGIC, .used = 1};
    list_push(h, FIRST_BLOCK);
    h->free_bytes = t->size;
    return FERRY_OK;
}

uint64_t memheap_alloc(void *region, size_t len)
{
    struct heap *h = region;
    if (h->magic != HEAP_MAGIC || len > h->size) return 0;
    /* Every block has usable bytes, so memheap_usable's 0 means "no block". */
    if (!len) len = 1;
    uint64_t need = (len + sizeof(struct tag) + MEMHEAP_ALIGN - 1) & ~(uint64_t)(MEMHEAP_ALIGN - 1);
    lock(h);
    uint64_t off = h->free_head;
    while (off && tag_at(h, off)->size < need) off = tag_at(h, off)->next_free;
    if (!off) {
        unlock(h);
        return 0;
    }
    struct tag *t = tag_at(h, off);
    list_remove(h, off);
    /* Split when the rest is worth a block of its own. */
    if (t->size - need >= 2 * MEMHEAP_ALIGN) {
        uint64_t rest = off + need;
        struct tag *r = tag_at(h, rest);
        *r = (struct tag){.size = t->size - need, .prev_size = need, .magic = TAG_MAGIC};
        tag_at(h, rest + r->size)->prev_size = r->size;
        list_push(h, rest);
        t->size = need;
    }
    t->used = 1;
    h->free_bytes -= t->size;
    unlock(h);
    return off + sizeof(struct tag);
}

/* The tag of an allocated block whose payload starts at off, or NULL. */
static struct tag *used_block(struct heap *h, uint64_t off)
{
    if (h->magic != HEAP_MAGIC || off < FIRST_BLOCK + sizeof(struct tag) || off % MEMHEAP_ALIGN ||
        off >= h->size)
        return NULL;
    struct tag *t = tag_at(h, off - sizeof(struct tag));
    if (t->magic != TAG_MAGIC || !t->used || !t->size || t->size > h->size - off) return NULL;
    return t;
}

int memheap_free(void *region, uint64_t off)
{
    struct heap *h = region;
    lock(h);
    struct tag *t = used_block(h, off);
    if (!t) {
        unlock(h);
        return FERRY_ERR_INVALID;
    }
    uint64_t at = off - sizeof(struct tag);
    h->free_bytes += t->size;
    /* Merge with a free successor, then with a free predecessor. */
    struct tag *next = tag_at(h, at + t->size);
    if (next->size && !next->used) {
        list_remove(h, at + t->size);
        t->size += next->size;
        next->magic = 0;
    }
    if (t->prev_size) {
        uint64_t pat = at - t->prev_size;
        struct tag *prev = tag_at(h, pat);
        if (!prev->used) {
            list_remove(h, pat);
            prev->size += t->size;
            t->magic = 0;
            t = prev;
            at = pat;
        }
    }
    tag_at(h, at + t->size)->prev_size = t->size;
    list_push(h, at);
    unlock(h);
    return FERRY_OK;
}

size_t memheap_usable(void *region, uint64_t off)
{
    struct heap *h = region;
    lock(h);
    struct tag *t = used_block(h, off);
    size_t n = t ? t->size - sizeof(struct tag) : 0;
    unlock(h);
    return n;
}

size_t memheap_free_bytes(void *region)
{
    struct heap *h = region;
    return h->magic == HEAP_MAGIC ? h->free_bytes : 0;
}
