/* The node's shared heap for out-of-line memory: a first-fit allocator with
 * boundary tags, living entirely inside a region of the shared segment so
 * that any rank of the node can free what another allocated (ownership
 * moves with a message). Offsets, not pointers, are stored: every rank maps
 * the segment at its own address. */
#ifndef FERRY_SHM_MEMHEAP_H
#define FERRY_SHM_MEMHEAP_H

#include <stddef.h>
#include <stdint.h>

#define MEMHEAP_ALIGN 64

/* Lay out an empty heap in [region, region + size). */
int memheap_init(void *region, size_t size);
/* The offset (from region) of len usable bytes, or 0 when the heap cannot
 * hold them. */
uint64_t memheap_alloc(void *region, size_t len);
/* FERRY_OK, or FERRY_ERR_INVALID when off is not an allocated block. */
int memheap_free(void *region, uint64_t off);
/* Usable bytes of the allocated block at off, or 0 when off is not one. */
size_t memheap_usable(void *region, uint64_t off);
/* Bytes currently free (for status and tests). */
size_t memheap_free_bytes(void *region);

/* Provided by shm.c: this rank's mapping of its node's shared heap, or NULL
 * when the rank has no node segment. */
void *shm_mem_region(size_t *size);

#endif
