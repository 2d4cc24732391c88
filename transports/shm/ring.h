/* A single-producer single-consumer ring of cache-line cells.
 *
 * A frame is [seq:4 len:4][ferry_hdr:40][payload...] padded to whole cells
 * and written contiguously. The frame is valid when the seq word of its first
 * cell equals the position the consumer expects: the producer writes that
 * word last (a release store, a plain store on x86), so there is no separate
 * flag and no atomic read-modify-write on either side. Before publishing a
 * frame the producer checks the seq word where the next frame will start
 * and invalidates it if stale bytes of an earlier lap there would read as
 * the next frame. */
#ifndef FERRY_SHM_RING_H
#define FERRY_SHM_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "transports/transport.h"

#define SHM_CELL             64
#define SHM_RING_CELLS       4096 /* 256 KiB per ordered pair that talks, */
#define SHM_RING_CELLS_MIN   1024 /* down to 64 KiB on crowded nodes */
#define SHM_RING_HDR         128  /* two cache lines before the cells */
#define SHM_FRAME_HDR        48   /* seq, len, ferry_hdr */
#define SHM_STAGE_SLOTS      4
#define SHM_STAGE_SLOT_BYTES (256 * 1024)
#define SHM_STAGE_BYTES      (4096 + SHM_STAGE_SLOTS * SHM_STAGE_SLOT_BYTES)

struct shm_ring_shared {
    uint32_t cells;  /* power of two */
    uint32_t sender; /* local index of the producer */
    char pad0[SHM_CELL - 8];
    _Atomic uint64_t head; /* cells the consumer has released */
    char pad1[SHM_CELL - 8];
};

struct shm_ring_tx {
    struct shm_ring_shared *sh;
    char *cells;
    uint64_t pos;        /* next cell to write */
    uint64_t head_cache; /* last head read from the consumer */
    uint32_t mask;
};

struct shm_ring_rx {
    struct shm_ring_shared *sh;
    char *cells;
    uint64_t head; /* next cell to read */
    uint32_t mask;
    uint32_t sender;
};

/* Cells per ring on a node of nlocal ranks (the same on every rank). */
uint32_t shm_ring_cells_for(int nlocal);
size_t shm_ring_bytes(uint32_t cells);
/* Largest payload one frame can carry in a ring of that many cells. */
size_t shm_ring_max_payload(uint32_t cells);
void shm_ring_init(void *mem, uint32_t cells, uint32_t sender);
void shm_ring_tx_attach(struct shm_ring_tx *tx, void *mem);
void shm_ring_rx_attach(struct shm_ring_rx *rx, void *mem);
/* 0 when pushed, -1 when there is no room now (FERRY_ERR_INVALID-free: the
 * caller checked len against shm_ring_max_payload). */
int shm_ring_push(struct shm_ring_tx *tx, const struct ferry_hdr *h, const void *payload,
                  size_t len);
/* 1 and the frame when one is ready, 0 otherwise. The frame stays valid
 * until shm_ring_pop. A malformed length is reported as -1. */
int shm_ring_peek(struct shm_ring_rx *rx, const struct ferry_hdr **h, const void **payload,
                  size_t *len);
void shm_ring_pop(struct shm_ring_rx *rx);

#endif
