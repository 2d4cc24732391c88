/* What a message carries after its body (runtime/port/extra.c): a trailer
 * naming a reply port, port names and out-of-line regions of the node's
 * heap, found from the end of the payload. Decoding either refuses the
 * bytes or takes exactly a well-formed tail whose regions are live heap
 * blocks at least as long as said (a region of length 0 too); encoding it again gives the same
 * bytes, and releasing its regions leaves the heap consistent.
 *
 * Input: [flags][payload]. Three heap blocks are live while it is decoded. */
#include "include/ferry.h"
#include "runtime/port/extra.h"
#include "runtime/port/ool.h"
#include "transports/shm/memheap.h"
#include "tests/fuzz/fuzz.h"

static const size_t block_len[] = {0, 256, 4096};
#define NBLOCKS (sizeof block_len / sizeof block_len[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    uint8_t flags = fz_u8(&f);
    /* The rank's own heap (a job of one has a private one). */
    unsigned char *heap = ool_addr(0);
    size_t whole = memheap_free_bytes(heap);
    uint64_t off[NBLOCKS];
    for (size_t i = 0; i < NBLOCKS; i++) FUZZ_CHECK((off[i] = memheap_alloc(heap, block_len[i])));

    char *buf = fz_dup(f.p, f.n);
    struct msg_extra *x = (void *)1;
    long n = extra_decode(buf + f.n, f.n, &x);
    if (n < 0) {
        FUZZ_CHECK(n == -1 && x == NULL);
    } else {
        FUZZ_CHECK(x && (size_t)n <= f.n && (size_t)n == extra_wire_len(x));
        FUZZ_CHECK(x->nports <= FERRY_MSG_PORTS_MAX && x->nregions <= FERRY_MSG_REGIONS_MAX);
        /* A region in the heap is a live block as long as said; one left in
         * the sender's memory (another node) is pulled later, checked then. */
        for (uint32_t i = 0; i < x->nregions; i++)
            FUZZ_CHECK((x->regions[i].len & REGION_REMOTE) ||
                       (memheap_usable(heap, x->regions[i].off) > 0 &&
                        memheap_usable(heap, x->regions[i].off) >= x->regions[i].len));
        char *again = malloc((size_t)n);
        FUZZ_CHECK(again != NULL);
        extra_encode(x, again);
        FUZZ_CHECK(memcmp(again, buf + f.n - n, (size_t)n) == 0);
        free(again);
        extra_free(x, flags & 1);
    }
    free(buf);
    /* Blocks a release gave back are refused now; the rest go back. */
    for (size_t i = 0; i < NBLOCKS; i++) memheap_free(heap, off[i]);
    FUZZ_CHECK(memheap_free_bytes(heap) == whole);
    return 0;
}
