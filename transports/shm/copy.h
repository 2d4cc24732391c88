/* Large messages on a node, pulled by the receiver after the match: one copy
 * by process_vm_readv (CMA), or, when the kernel refuses it (or
 * FERRY_SHM_CMA=0), a pipelined copy through staging slots in the segment
 * that the sender fills while the receiver drains. */
#ifndef FERRY_SHM_COPY_H
#define FERRY_SHM_COPY_H

#include <stdint.h>

#include "transports/transport.h"

struct shm_cts {
    uint64_t stage_off; /* the receiver's staging area for this pair */
    struct ferry_rndv r;
};

#define SHM_FRAME_CTS (FRAME_TRANSPORT + 1)

/* Receiver side. */
int copy_pull(int peer_local, int peer_rank, const struct ferry_rndv *r, void *dst,
              struct ferry_pull *op);
/* Sender side: the receiver asks for a pipelined copy. */
int copy_on_cts(int peer_local, const struct shm_cts *cts);
/* Advance every pull and pump; returns how many made progress. */
int copy_progress(void);
/* Whether any pull or pump could advance now (checked before sleeping). */
int copy_ready(void);
void copy_init(int use_cma);
void copy_fini(void);

/* Provided by shm.c. */
void *shm_base(void);
int shm_send_internal(int peer_local, const struct ferry_hdr *h, const void *p, size_t len);
void shm_kick(int peer_local);
int32_t shm_peer_pid(int peer_local);

#endif
