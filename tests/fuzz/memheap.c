/* The node's shared heap (transports/shm/memheap.c): allocations and frees
 * in an order the fuzzer picks, and frees and size queries at offsets a
 * peer names, which may be anything. Blocks never overlap, their bytes stay
 * as written, an offset that is not a live block is refused without harm,
 * and when everything is freed the heap is whole again.
 *
 * Input: ops [op][operands]. */
#include "include/ferry.h"
#include "transports/shm/memheap.h"
#include "tests/fuzz/fuzz.h"

#define HEAP_BYTES (64 * 1024)
#define LIVE_MAX   256
#define TAG        MEMHEAP_ALIGN /* a block's tag, before its payload */

struct block {
    uint64_t off;
    size_t len, usable;
    unsigned char fill;
};

static struct block live[LIVE_MAX];
static int nlive;

static int find(uint64_t off)
{
    for (int i = 0; i < nlive; i++)
        if (live[i].off == off) return i;
    return -1;
}

static void check_bytes(const unsigned char *heap, const struct block *b)
{
    for (size_t i = 0; i < b->len; i++) FUZZ_CHECK(heap[b->off + i] == b->fill);
}

static void release(unsigned char *heap, int i)
{
    size_t before = memheap_free_bytes(heap);
    check_bytes(heap, &live[i]);
    FUZZ_CHECK(memheap_free(heap, live[i].off) == FERRY_OK);
    FUZZ_CHECK(memheap_free_bytes(heap) == before + live[i].usable + TAG);
    FUZZ_CHECK(memheap_usable(heap, live[i].off) == 0);
    FUZZ_CHECK(memheap_free(heap, live[i].off) == FERRY_ERR_INVALID);
    live[i] = live[--nlive];
}

/* An offset named by a peer: a live block, or refused and nothing changes. */
static void hostile(unsigned char *heap, uint64_t off, int do_free)
{
    int i = find(off);
    if (i >= 0) {
        if (do_free)
            release(heap, i);
        else
            FUZZ_CHECK(memheap_usable(heap, off) == live[i].usable);
        return;
    }
    size_t before = memheap_free_bytes(heap);
    if (do_free)
        FUZZ_CHECK(memheap_free(heap, off) == FERRY_ERR_INVALID);
    else
        FUZZ_CHECK(memheap_usable(heap, off) == 0);
    FUZZ_CHECK(memheap_free_bytes(heap) == before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    /* Exactly the heap's bytes, so a tag read or written outside is caught. */
    unsigned char *heap = malloc(HEAP_BYTES);
    FUZZ_CHECK(heap && memheap_init(heap, HEAP_BYTES) == FERRY_OK);
    size_t whole = memheap_free_bytes(heap);
    nlive = 0;
    unsigned char fills = 0;
    while (f.n) {
        uint8_t op = fz_u8(&f);
        switch (op % 6) {
        case 0: { /* allocate */
            size_t len = op & 0x80 ? fz_u32(&f) : fz_u16(&f) % 8192;
            if (nlive == LIVE_MAX) break;
            size_t before = memheap_free_bytes(heap);
            uint64_t off = memheap_alloc(heap, len);
            if (!off) {
                FUZZ_CHECK(memheap_free_bytes(heap) == before);
                break;
            }
            FUZZ_CHECK(off % MEMHEAP_ALIGN == 0 && off >= 2 * TAG && off < HEAP_BYTES &&
                       len <= HEAP_BYTES - off);
            size_t usable = memheap_usable(heap, off);
            /* Never 0: that means "not a block" to those who ask. */
            FUZZ_CHECK(usable >= len && usable > 0 && usable <= HEAP_BYTES - off);
            FUZZ_CHECK(memheap_free_bytes(heap) == before - usable - TAG);
            for (int i = 0; i < nlive; i++)
                FUZZ_CHECK(off + usable <= live[i].off - TAG ||
                           live[i].off + live[i].usable <= off - TAG);
            /* A fill byte never makes up a tag's magic number. */
            live[nlive] = (struct block){off, len, usable, (unsigned char)(0x11 * (++fills % 15))};
            memset(heap + off, live[nlive].fill, len);
            nlive++;
            break;
        }
        case 1: /* free a block of ours */
            if (nlive) release(heap, (int)(fz_u8(&f) % nlive));
            break;
        case 2: /* an offset near a block: inside it, or just off */
        case 3:
            if (nlive) {
                int16_t delta = (int16_t)fz_u16(&f);
                hostile(heap, live[fz_u8(&f) % nlive].off + (uint64_t)(int64_t)delta, op % 6 == 2);
                break;
            }
            /* fall through */
        default: /* any offset at all */
            hostile(heap, op & 0x80 ? fz_u64(&f) : fz_u16(&f), op & 1);
        }
    }
    while (nlive) release(heap, nlive - 1);
    FUZZ_CHECK(memheap_free_bytes(heap) == whole);
    /* Whole again: one block as large as at the start fits. */
    uint64_t off = memheap_alloc(heap, whole - TAG);
    FUZZ_CHECK(off != 0 && memheap_free(heap, off) == FERRY_OK);
    free(heap);
    return 0;
}
