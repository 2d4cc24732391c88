/* Layout of the node's shared segment.
 *
 *   [header 4 KiB][rank control blocks][ring directory][heap ...][shared heap]
 *
 * Rings and staging buffers come from the heap when a pair first talks, so
 * idle pairs cost only their directory slot (8 bytes). The memfd is sparse:
 * untouched heap costs no memory. */
#ifndef FERRY_SHM_LAYOUT_H
#define FERRY_SHM_LAYOUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SHM_MAGIC     0x5945525246ULL /* "FERRY" */
#define SHM_VERSION   1
#define SHM_CACHELINE 64
#define SHM_MAX_LOCAL 4096

struct shm_seg_hdr {
    uint64_t magic;
    uint32_t version;
    uint32_t nlocal;
    uint64_t size;     /* bytes in the segment */
    uint64_t ctl_off;  /* nlocal struct shm_ctl */
    uint64_t dir_off;  /* nlocal * nlocal ring offsets, one row per receiver */
    uint64_t heap_off; /* first heap byte (rings, staging: never freed) */
    _Atomic uint64_t heap_top;
    uint64_t mem_off;  /* the shared heap for out-of-line memory (memheap.h) */
    uint64_t mem_size; /* up to the end of the segment */
};

/* One per local rank, two cache lines: the doorbell line is written by
 * senders, the rest mostly by its owner. */
struct shm_ctl {
    _Atomic uint32_t doorbell; /* futex word, bumped to wake the rank */
    _Atomic uint32_t sleeping; /* set while the rank is (about to be) asleep */
    _Atomic uint32_t light;    /* its sleeps fence senders (doorbell.c): they need not */
    char pad0[SHM_CACHELINE - 12];
    _Atomic int32_t pid;  /* the rank's pid once attached */
    _Atomic uint32_t nin; /* incoming rings registered in its directory row */
    char pad1[SHM_CACHELINE - 8];
};

_Static_assert(sizeof(struct shm_ctl) == 2 * SHM_CACHELINE, "shm_ctl is two cache lines");

static inline struct shm_ctl *shm_ctl_of(void *base, int local)
{
    struct shm_seg_hdr *h = base;
    return (struct shm_ctl *)((char *)base + h->ctl_off) + local;
}

static inline _Atomic uint64_t *shm_dir_row(void *base, int local)
{
    struct shm_seg_hdr *h = base;
    return (_Atomic uint64_t *)((char *)base + h->dir_off) + (size_t)local * h->nlocal;
}

/* Allocate bytes (rounded to 4 KiB) from the heap; 0 when exhausted. Heap
 * memory lives as long as the segment: rings are never freed. */
uint64_t shm_heap_alloc(void *base, size_t bytes);

#endif
