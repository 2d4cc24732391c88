/* Large messages on a node, pulled by the receiver after the match: one copy
 * by process_vm_readv (CMA), or, when the kernel refuses it (or
 * FERRY_SHM_CMA=0), a pipelined copy through staging slots in the segment
 * that the sender fills while the receiver drains.
 *
 * A CMA copy goes in chunks that both sides may take: the receiver reads
 * chunks from the sender, and asks the sender (a HELP frame) to write
 * chunks into the receiver's buffer with process_vm_writev meanwhile, so an
 * otherwise idle sender doubles the copy rate. Which side copies a chunk is
 * decided by a counter in a shared slot of the receiver's. */
#ifndef FERRY_SHM_COPY_H
#define FERRY_SHM_COPY_H

#include <stdint.h>

#include "transports/transport.h"

struct shm_cts {
    uint64_t stage_off; /* the receiver's staging area for this pair */
    struct ferry_rndv r;
};

/* Receiver to sender: take chunks of r into the receiver's buffer dst. */
struct shm_help {
    uint64_t slot_off; /* the receiver's claim slot for this copy */
    uint64_t dst;      /* the receiver's buffer */
    uint32_t gen;      /* the slot's use this copy is */
    uint32_t chunk;    /* bytes per chunk */
    struct ferry_rndv r;
};

#define SHM_FRAME_CTS  (FRAME_TRANSPORT + 1)
#define SHM_FRAME_HELP (FRAME_TRANSPORT + 2)

/* Receiver side. */
int copy_pull(int peer_local, int peer_rank, const struct ferry_rndv *r, void *dst,
              struct ferry_pull *op);
/* Sender side: the receiver asks for a pipelined copy. */
int copy_on_cts(int peer_local, const struct shm_cts *cts);
/* Sender side: the receiver asks for help with a CMA copy. */
int copy_on_help(int peer_local, const struct shm_help *help);
/* Advance every pull, pump and help; returns how many made progress. */
int copy_progress(void);
/* Whether any of them could advance now (checked before sleeping). */
int copy_ready(void);
void copy_init(int use_cma);
void copy_fini(void);

/* Provided by shm.c. */
void *shm_base(void);
int shm_send_internal(int peer_local, const struct ferry_hdr *h, const void *p, size_t len);
void shm_kick(int peer_local);
int32_t shm_peer_pid(int peer_local);

#endif
