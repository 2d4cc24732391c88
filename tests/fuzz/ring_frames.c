/* The shm ring's consumer side (transports/shm/ring.c) against a producer
 * that writes whatever it likes into the ring: a frame handed out must lie
 * wholly inside the ring, whatever the seq and len words say. And, with an
 * honest producer and lengths the fuzzer picks, every frame arrives once,
 * intact and in order.
 *
 * Input: [mode][...]. Mode even: [head:4] then writes [cell:2][n:1][bytes],
 * applied whenever the consumer finds nothing to read. Mode odd: ops
 * [op:1][len:2], push (op even) or pop all (op odd). */
#include "transports/shm/ring.h"
#include "tests/fuzz/fuzz.h"

#define CELLS      64
#define RING_BYTES (CELLS * SHM_CELL)

/* Reads of a frame go here, so the compiler cannot drop them. */
static volatile unsigned sink;

static void hostile(struct fz *f, char *mem)
{
    struct shm_ring_rx rx;
    shm_ring_rx_attach(&rx, mem);
    rx.head = fz_u32(f);
    char *cells = mem + SHM_RING_HDR;
    unsigned sum = 0;
    for (int iter = 0; iter < 4096; iter++) {
        const struct ferry_hdr *h;
        const void *p;
        size_t len;
        int got = shm_ring_peek(&rx, &h, &p, &len);
        if (got < 0) return; /* the transport stops reading this ring */
        if (got == 1) {
            const char *b = p;
            FUZZ_CHECK((const char *)h >= cells && b - (const char *)h == sizeof *h);
            FUZZ_CHECK(b >= cells && b <= cells + RING_BYTES &&
                       len <= (size_t)(cells + RING_BYTES - b));
            for (size_t i = 0; i < len; i++) sum += (unsigned char)b[i];
            shm_ring_pop(&rx);
            continue;
        }
        if (!f->n) break;
        /* Nothing to read: the producer writes some more. */
        size_t at = (size_t)fz_u16(f) % RING_BYTES, n;
        const uint8_t *w = fz_bytes(f, fz_u8(f), &n);
        if (n > RING_BYTES - at) n = RING_BYTES - at;
        memcpy(cells + at, w, n);
    }
    sink += sum;
}

static void fill(char *p, size_t len, uint64_t k)
{
    for (size_t i = 0; i < len; i++) p[i] = (char)(k * 31 + i);
}

static void honest(struct fz *f, char *mem)
{
    struct shm_ring_tx tx;
    struct shm_ring_rx rx;
    shm_ring_tx_attach(&tx, mem);
    shm_ring_rx_attach(&rx, mem);
    size_t max = shm_ring_max_payload(CELLS);
    static char buf[RING_BYTES];
    uint64_t pushed = 0, popped = 0;
    size_t lens[4096];
    for (int iter = 0; iter < 4096; iter++) {
        uint8_t op = fz_u8(f);
        int last = !f->n;
        if (!last && op % 2 == 0 && pushed - popped < 4096) {
            size_t len = fz_u16(f) % (max + 1);
            struct ferry_hdr h = {.seq = pushed, .size = len};
            fill(buf, len, pushed);
            if (shm_ring_push(&tx, &h, buf, len) == 0) lens[pushed++ % 4096] = len;
            continue;
        }
        const struct ferry_hdr *h;
        const void *p;
        size_t len;
        int got;
        while ((got = shm_ring_peek(&rx, &h, &p, &len)) == 1) {
            FUZZ_CHECK(popped < pushed && h->seq == popped && len == lens[popped % 4096]);
            fill(buf, len, popped);
            FUZZ_CHECK(memcmp(p, buf, len) == 0);
            shm_ring_pop(&rx);
            popped++;
        }
        FUZZ_CHECK(got == 0 && popped == pushed);
        if (last) break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    /* Exactly the ring's bytes, so a read past its end is caught. */
    char *mem = malloc(shm_ring_bytes(CELLS));
    FUZZ_CHECK(mem && shm_ring_bytes(CELLS) == SHM_RING_HDR + RING_BYTES);
    memset(mem, 0, shm_ring_bytes(CELLS));
    shm_ring_init(mem, CELLS, 0);
    if (fz_u8(&f) % 2)
        honest(&f, mem);
    else
        hostile(&f, mem);
    free(mem);
    return 0;
}
