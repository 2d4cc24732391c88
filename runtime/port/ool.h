/* Out-of-line memory: buffers in the node's shared heap, passed between
 * ranks of a node by offset, with ownership moving to the receiver. A rank
 * without a node segment (a job of one) uses a private heap of its own. */
#ifndef FERRY_OOL_H
#define FERRY_OOL_H

#include <stddef.h>
#include <stdint.h>

#include "include/ferry.h"

/* Turn a sender's regions into heap offsets: a region that is a heap block
 * moves as it is; any other buffer is copied once into a new block
 * (*copied[i] set, so a failed send can free it). */
int ool_prepare(const ferry_region_t *in, size_t n, uint64_t *off, uint8_t *copied);
/* Whether off is the start of a live heap block of at least len bytes. */
int ool_check(uint64_t off, uint64_t len);
void *ool_addr(uint64_t off);
/* A new heap block for a region pulled from another node (0: no room). */
uint64_t ool_alloc(size_t len);
/* Whether regions go by pull even between ranks of a node (FERRY_OOL_PULL=1,
 * for tests of the path other nodes take). */
int ool_force_pull(void);
/* Free p if it is a heap block (a region moved away by a pull). */
void ool_release_ptr(const void *p);
void ool_release(uint64_t off);
void ool_fini(void);

#endif
