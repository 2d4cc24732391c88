#include <string.h>

#include "transports/shm/ring.h"

#define WRAP_LEN UINT32_MAX /* a frame marker meaning "continue at the lap start" */

struct cell_hdr {
    _Atomic uint32_t seq;
    uint32_t len;
    struct ferry_hdr h;
};

_Static_assert(sizeof(struct cell_hdr) == SHM_FRAME_HDR, "frame header is 48 bytes");
_Static_assert(sizeof(struct shm_ring_shared) == SHM_RING_HDR, "ring header is two lines");

static inline uint64_t frame_cells(size_t len)
{
    return (SHM_FRAME_HDR + len + SHM_CELL - 1) / SHM_CELL;
}

static inline struct cell_hdr *cell_at(char *cells, uint32_t mask, uint64_t pos)
{
    return (struct cell_hdr *)(cells + (size_t)(pos & mask) * SHM_CELL);
}

/* A ring is fully resident once it has wrapped, and an all-to-all makes
 * one for every ordered pair: past 16 ranks a node's rings shrink as the
 * ranks grow (64 ranks: 64 KiB each, 258 MiB for all pairs instead of
 * 1 GiB), keeping room for several of the largest eager frames. */
uint32_t shm_ring_cells_for(int nlocal)
{
    uint32_t cells = SHM_RING_CELLS;
    while (cells > SHM_RING_CELLS_MIN && (uint64_t)nlocal * cells > 16ull * SHM_RING_CELLS)
        cells /= 2;
    return cells;
}

size_t shm_ring_bytes(uint32_t cells)
{
    return SHM_RING_HDR + (size_t)cells * SHM_CELL;
}

size_t shm_ring_max_payload(uint32_t cells)
{
    /* Half the ring, so a frame always fits after at most one wrap. */
    return (size_t)(cells / 2 - 1) * SHM_CELL - SHM_FRAME_HDR;
}

void shm_ring_init(void *mem, uint32_t cells, uint32_t sender)
{
    struct shm_ring_shared *sh = mem;
    sh->cells = cells;
    sh->sender = sender;
    atomic_store_explicit(&sh->head, 0, memory_order_relaxed);
    /* Cell 0 would read as a valid seq 0 while still zero. */
    struct cell_hdr *c0 = (struct cell_hdr *)((char *)mem + SHM_RING_HDR);
    atomic_store_explicit(&c0->seq, 1, memory_order_release);
}

void shm_ring_tx_attach(struct shm_ring_tx *tx, void *mem)
{
    tx->sh = mem;
    tx->cells = (char *)mem + SHM_RING_HDR;
    tx->pos = 0;
    tx->head_cache = 0;
    tx->mask = tx->sh->cells - 1;
}

void shm_ring_rx_attach(struct shm_ring_rx *rx, void *mem)
{
    rx->sh = mem;
    rx->cells = (char *)mem + SHM_RING_HDR;
    rx->head = 0;
    rx->mask = rx->sh->cells - 1;
    rx->sender = rx->sh->sender;
}

/* Whether cells [pos, pos+n) are free, reading the consumer's head only when
 * the cached value says no. */
static inline int has_room(struct shm_ring_tx *tx, uint64_t n)
{
    uint64_t size = (uint64_t)tx->mask + 1;
    if (tx->pos + n - tx->head_cache <= size) return 1;
    tx->head_cache = atomic_load_explicit(&tx->sh->head, memory_order_acquire);
    return tx->pos + n - tx->head_cache <= size;
}

/* Make sure the cell at pos, where the next frame will start, cannot pass
 * for a frame before one is written there. Only a stale word equal to the
 * seq the consumer will expect there can (payload bytes of an earlier lap,
 * by chance or by design); a header of an earlier lap never equals it. The
 * producer alone writes cells, so this reads its own earlier write, which
 * it usually still holds; rewriting the word every time instead would pull
 * the line from the consumer, which reads it while it waits, and back. */
static inline void guard(struct shm_ring_tx *tx, uint64_t pos)
{
    _Atomic uint32_t *seq = &cell_at(tx->cells, tx->mask, pos)->seq;
    if (atomic_load_explicit(seq, memory_order_relaxed) == (uint32_t)pos)
        atomic_store_explicit(seq, (uint32_t)pos ^ 0x80000000u, memory_order_relaxed);
}

/* The header field by field, each read as wide as it was likely written:
 * senders build it on their stack in pieces, and a wider load spanning
 * two of those stores cannot be forwarded from the store buffer, so it
 * waits for every older store to reach the cache, the previous frame's
 * line included, which the consumer holds (a cross-core trip per frame).
 * The empty asm keeps the compiler from merging the reads again. */
static inline void hdr_copy(struct ferry_hdr *d, const struct ferry_hdr *s)
{
#define FIELD(f)                                                                                   \
    d->f = s->f;                                                                                   \
    __asm__ volatile("" ::: "memory")
    FIELD(src);
    FIELD(kind);
    FIELD(flags);
    FIELD(port);
    FIELD(gen);
    FIELD(seq);
    FIELD(size);
    FIELD(tag);
#undef FIELD
}

int shm_ring_push(struct shm_ring_tx *tx, const struct ferry_hdr *h, const void *payload,
                  size_t len)
{
    uint64_t n = frame_cells(len);
    uint64_t size = (uint64_t)tx->mask + 1;
    uint64_t to_end = size - (tx->pos & tx->mask);
    uint64_t wrap_pos = 0;
    int wrap = n > to_end;
    /* +1: the cell where the next frame starts is guarded now. */
    if (!has_room(tx, (wrap ? to_end : 0) + n + 1)) return -1;
    if (wrap) {
        wrap_pos = tx->pos;
        tx->pos += to_end;
    }
    struct cell_hdr *c = cell_at(tx->cells, tx->mask, tx->pos);
    guard(tx, tx->pos + n);
    c->len = (uint32_t)len;
    hdr_copy(&c->h, h);
    if (len) memcpy((char *)c + SHM_FRAME_HDR, payload, len);
    atomic_store_explicit(&c->seq, (uint32_t)tx->pos, memory_order_release);
    if (wrap) {
        /* Published after the frame it leads to, so the consumer never
         * reaches the lap start before the frame there is complete. */
        struct cell_hdr *w = cell_at(tx->cells, tx->mask, wrap_pos);
        w->len = WRAP_LEN;
        atomic_store_explicit(&w->seq, (uint32_t)wrap_pos, memory_order_release);
    }
    tx->pos += n;
    return 0;
}

int shm_ring_peek(struct shm_ring_rx *rx, const struct ferry_hdr **h, const void **payload,
                  size_t *len)
{
    struct cell_hdr *c = cell_at(rx->cells, rx->mask, rx->head);
    if (atomic_load_explicit(&c->seq, memory_order_acquire) != (uint32_t)rx->head) return 0;
    if (c->len == WRAP_LEN) {
        rx->head += (uint64_t)rx->mask + 1 - (rx->head & rx->mask);
        c = cell_at(rx->cells, rx->mask, rx->head);
        if (atomic_load_explicit(&c->seq, memory_order_acquire) != (uint32_t)rx->head) return -1;
    }
    /* Read once: the peer may rewrite it. A frame never runs past the end
     * of the ring (the producer wraps first), so one that says so is bad. */
    uint32_t n = c->len;
    if (n > shm_ring_max_payload(rx->mask + 1) ||
        frame_cells(n) > (uint64_t)rx->mask + 1 - (rx->head & rx->mask))
        return -1;
    *h = &c->h;
    *payload = (char *)c + SHM_FRAME_HDR;
    *len = n;
    return 1;
}

void shm_ring_pop(struct shm_ring_rx *rx)
{
    struct cell_hdr *c = cell_at(rx->cells, rx->mask, rx->head);
    rx->head += frame_cells(c->len);
    atomic_store_explicit(&rx->sh->head, rx->head, memory_order_release);
}
