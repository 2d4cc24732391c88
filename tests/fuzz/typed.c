/* Typed message bodies (runtime/port/typed.c). A body from a peer is read
 * with a reader: either it is refused whole (FERRY_ERR_PEER) or every item
 * can be peeked, taken, referenced or skipped within the body's bytes, and a
 * get of the wrong type or count fails without moving on. And what a writer
 * writes, in either byte order, reads back as the values put.
 *
 * Input: [mode][...]. Mode bit 0 clear: the rest is a body, read from an
 * odd address when bit 1 is set. Bit 0 set: items [type][count][values] to
 * write, in the other byte order when bit 1 is set. */
#include "include/ferry.h"
#include "tests/fuzz/fuzz.h"

#define NTYPES 13

static const size_t elem[NTYPES + 1] = {0, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 1, 12, 16};
static volatile unsigned sink;

static void touch(const void *p, size_t n)
{
    unsigned s = 0;
    for (size_t i = 0; i < n; i++) s += ((const unsigned char *)p)[i];
    sink += s;
}

static void read_body(const uint8_t *body, size_t len, int odd)
{
    /* Exactly len bytes after the chosen alignment. */
    unsigned char *block = malloc(len + odd + 1);
    FUZZ_CHECK(block != NULL);
    unsigned char *buf = block + odd;
    memcpy(buf, body, len);
    unsigned char *end = buf + len;
    ferry_typed_reader_t r;
    int rc = ferry_typed_reader_init(&r, buf, len);
    enum ferry_type t;
    size_t count;
    if (rc != FERRY_OK) {
        FUZZ_CHECK(rc == FERRY_ERR_PEER);
        FUZZ_CHECK(ferry_typed_peek(&r, &t, &count) == FERRY_ERR_INVALID);
        FUZZ_CHECK(ferry_typed_skip(&r) == FERRY_ERR_INVALID);
        free(block);
        return;
    }
    FUZZ_CHECK(ferry_typed_swapped(&r) == 0 || ferry_typed_swapped(&r) == 1);
    size_t items = 0, bytes = 0;
    while ((rc = ferry_typed_peek(&r, &t, &count)) == FERRY_OK) {
        FUZZ_CHECK(t >= 1 && t <= NTYPES && count <= len / elem[t]);
        size_t n = count * elem[t];
        bytes += n;
        FUZZ_CHECK(bytes + 16 * ++items + 8 <= len);
        /* The wrong type, or the wrong count, is refused in place. */
        enum ferry_type other = (enum ferry_type)(t % NTYPES + 1);
        unsigned char dummy[16];
        FUZZ_CHECK(ferry_typed_get(&r, other, dummy, 0) == FERRY_ERR_INVALID);
        if (count != 1) FUZZ_CHECK(ferry_typed_get(&r, t, dummy, 1) == FERRY_ERR_INVALID);
        switch (items % 3) {
        case 0: {
            void *out = malloc(n ? n : 1);
            FUZZ_CHECK(out && ferry_typed_get(&r, t, out, count) == FERRY_OK);
            touch(out, n);
            free(out);
            break;
        }
        case 1: {
            const void *p;
            size_t c;
            rc = ferry_typed_get_ref(&r, t, &p, &c);
            if (rc == FERRY_OK) {
                FUZZ_CHECK(c == count && (const unsigned char *)p >= buf + 24 &&
                           (const unsigned char *)p <= end &&
                           n <= (size_t)(end - (const unsigned char *)p));
                touch(p, n);
                break;
            }
            /* Refused only when the data cannot be used in place. */
            FUZZ_CHECK(rc == FERRY_ERR_INVALID && (odd || ferry_typed_swapped(&r)));
            FUZZ_CHECK(ferry_typed_skip(&r) == FERRY_OK);
            break;
        }
        default:
            FUZZ_CHECK(ferry_typed_skip(&r) == FERRY_OK);
        }
    }
    FUZZ_CHECK(rc == FERRY_ERR_NOT_FOUND);
    free(block);
}

struct put {
    enum ferry_type t;
    size_t count;
    const uint8_t *vals;
};

static void write_and_read(struct fz *f, int swap)
{
    if (swap)
        setenv("FERRY_TYPED_FORCE_SWAP", "1", 1);
    else
        unsetenv("FERRY_TYPED_FORCE_SWAP");
    struct put items[64];
    int n = 0;
    while (f->n && n < 64) {
        enum ferry_type t = (enum ferry_type)(fz_u8(f) % NTYPES + 1);
        size_t want = fz_u8(f), got;
        const uint8_t *v = fz_bytes(f, want * elem[t], &got);
        items[n++] = (struct put){t, got / elem[t], v};
    }
    ferry_typed_writer_t w, m;
    size_t cap = 8;
    for (int i = 0; i < n; i++) cap += 16 + (items[i].count * elem[items[i].t] + 7) / 8 * 8;
    unsigned char *buf = malloc(cap);
    FUZZ_CHECK(buf && ferry_typed_writer_init(&w, buf, cap) == FERRY_OK);
    FUZZ_CHECK(ferry_typed_writer_init(&m, NULL, 0) == FERRY_OK);
    for (int i = 0; i < n; i++) {
        FUZZ_CHECK(ferry_typed_put(&w, items[i].t, items[i].vals, items[i].count) == FERRY_OK);
        FUZZ_CHECK(ferry_typed_put(&m, items[i].t, items[i].vals, items[i].count) == FERRY_OK);
    }
    size_t len = ferry_typed_size(&w);
    FUZZ_CHECK(len == cap && ferry_typed_size(&m) == len);
    /* Full: one more item does not fit, and the body is unchanged. */
    FUZZ_CHECK(ferry_typed_put(&w, FERRY_TYPE_UINT8, "", 0) == FERRY_ERR_NOMEM);
    ferry_typed_reader_t r;
    FUZZ_CHECK(ferry_typed_reader_init(&r, buf, len) == FERRY_OK);
    FUZZ_CHECK(ferry_typed_swapped(&r) == swap);
    for (int i = 0; i < n; i++) {
        size_t bytes = items[i].count * elem[items[i].t];
        void *out = malloc(bytes ? bytes : 1);
        FUZZ_CHECK(out && ferry_typed_get(&r, items[i].t, out, items[i].count) == FERRY_OK);
        FUZZ_CHECK(memcmp(out, items[i].vals, bytes) == 0);
        free(out);
    }
    enum ferry_type t;
    FUZZ_CHECK(ferry_typed_peek(&r, &t, NULL) == FERRY_ERR_NOT_FOUND);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    uint8_t mode = fz_u8(&f);
    if (mode & 1)
        write_and_read(&f, mode >> 1 & 1);
    else
        read_body(f.p, f.n, mode >> 1 & 1);
    return 0;
}
