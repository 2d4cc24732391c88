/* Where a rank's shared memory lives: on the NUMA node of the cores the
 * rank is bound to, found with hwloc. A receiver places what it polls and
 * copies out of (its incoming rings, its staging buffers, its claim slots)
 * on its own node, so its polling stays local and each byte a sender
 * writes crosses between nodes once. */
#ifndef FERRY_SHM_NUMA_H
#define FERRY_SHM_NUMA_H

#include <stddef.h>

/* Find this rank's node. Without hwloc's answer (no binding, a binding
 * across nodes, no topology) memory is left where first touch puts it. */
void shm_numa_init(void);
/* Have the pages of [addr, addr + len) (page-aligned) that are not yet in
 * memory come from this rank's node. */
void shm_numa_place(void *addr, size_t len);
void shm_numa_fini(void);

#endif
