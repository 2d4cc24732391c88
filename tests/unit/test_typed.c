/* Typed message bodies: round trips of every type in both byte orders, the
 * bytes on the wire against hand-built bodies, wrong requests, and hostile
 * bodies (bad headers, tags, counts, truncation, mutation), each in a buffer
 * of exactly its size so a sanitizer build sees any overread. */
#define _POSIX_C_SOURCE 200809L
#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "include/ferry.h"

#define NTYPES_ALL 13
#define MANY       1001 /* odd, so every type but 8- and 16-byte ones needs padding */

static const size_t elem_size[NTYPES_ALL + 1] = {0, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 1, 12, 16};
/* The width of each field a byte swap reverses. */
static const size_t field_size[NTYPES_ALL + 1] = {0, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 1, 4, 8};

static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void fill_random(void *p, size_t n)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++) b[i] = (unsigned char)rng();
}

static int host_is_little(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* A writer over buf, in this host's byte order or forced to the other. */
static void writer(ferry_typed_writer_t *w, void *buf, size_t cap, int swap)
{
    if (swap)
        setenv("FERRY_TYPED_FORCE_SWAP", "1", 1);
    else
        unsetenv("FERRY_TYPED_FORCE_SWAP");
    CU_ASSERT_EQUAL_FATAL(ferry_typed_writer_init(w, buf, cap), FERRY_OK);
    unsetenv("FERRY_TYPED_FORCE_SWAP");
}

static size_t item_bytes(size_t size, size_t count)
{
    return 16 + (size * count + 7) / 8 * 8;
}

/* A copy of n bytes in a buffer of exactly n bytes. */
static unsigned char *exact_copy(const void *p, size_t n)
{
    unsigned char *c = malloc(n ? n : 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    if (n) memcpy(c, p, n);
    return c;
}

/* Every type with counts 0, 1 and MANY, one item each, in both byte orders;
 * each item read back equals what was put, bit for bit (floats included:
 * random bits cover NaNs, infinities and subnormals). */
static void test_round_trip_each_type(void)
{
    static const size_t counts[] = {0, 1, 2, 3, MANY};
    rng_state = 1;
    for (int swap = 0; swap <= 1; swap++)
        for (int t = 1; t <= NTYPES_ALL; t++)
            for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
                size_t n = counts[k], bytes = n * elem_size[t];
                unsigned char *in = malloc(bytes + 1), *out = malloc(bytes + 1);
                size_t cap = 8 + item_bytes(elem_size[t], n);
                unsigned char *buf = malloc(cap);
                fill_random(in, bytes);
                ferry_typed_writer_t w;
                writer(&w, buf, cap, swap);
                CU_ASSERT_EQUAL(ferry_typed_put(&w, (enum ferry_type)t, in, n), FERRY_OK);
                CU_ASSERT_EQUAL(ferry_typed_size(&w), cap);
                /* The buffer was exactly large enough: nothing more fits. */
                CU_ASSERT_EQUAL(ferry_typed_put(&w, FERRY_TYPE_UINT8, in, 0), FERRY_ERR_NOMEM);

                ferry_typed_reader_t r;
                enum ferry_type got_t = 0;
                size_t got_n = 12345;
                CU_ASSERT_EQUAL_FATAL(ferry_typed_reader_init(&r, buf, cap), FERRY_OK);
                CU_ASSERT_EQUAL(ferry_typed_swapped(&r), swap);
                CU_ASSERT_EQUAL(ferry_typed_peek(&r, &got_t, &got_n), FERRY_OK);
                CU_ASSERT_EQUAL(got_t, t);
                CU_ASSERT_EQUAL(got_n, n);
                memset(out, 0xa5, bytes + 1);
                CU_ASSERT_EQUAL(ferry_typed_get(&r, (enum ferry_type)t, n ? out : NULL, n),
                                FERRY_OK);
                CU_ASSERT(memcmp(in, out, bytes) == 0);
                CU_ASSERT_EQUAL(out[bytes], 0xa5);
                CU_ASSERT_EQUAL(ferry_typed_peek(&r, NULL, NULL), FERRY_ERR_NOT_FOUND);
                /* A swapped body differs on the wire wherever a field is not
                 * a palindrome; a random one almost never is. */
                if (swap && field_size[t] > 1 && n == MANY)
                    CU_ASSERT(memcmp(buf + 24, in, bytes) != 0);
                if (!swap || field_size[t] == 1) CU_ASSERT(memcmp(buf + 24, in, bytes) == 0);
                free(in);
                free(out);
                free(buf);
            }
}

/* Many items of mixed types through the typed helpers, with edge values. */
static void test_mixed(void)
{
    const int8_t i8[] = {INT8_MIN, -1, 0, 1, INT8_MAX};
    const uint8_t u8[] = {0, 0x80, UINT8_MAX};
    const int16_t i16[] = {INT16_MIN, -2, 0x1234, INT16_MAX};
    const uint16_t u16[] = {0x0102, UINT16_MAX, 0x8000};
    const int32_t i32[] = {INT32_MIN, -3, 0x12345678, INT32_MAX};
    const uint32_t u32[] = {0x01020304u, UINT32_MAX};
    const int64_t i64[] = {INT64_MIN, -4, 0x0102030405060708LL, INT64_MAX};
    const uint64_t u64[] = {0x8877665544332211ULL, UINT64_MAX, 0};
    const float f32[] = {-0.0f, 1.5f, 1e-45f, 3.4e38f, 1.0f / 0.0f};
    const double f64[] = {-0.0, 3.141592653589793, 4.9e-324, 1.7e308, -1.0 / 0.0};
    const char bytes[] = "typed bytes, odd length";
    const ferry_port_t ports[] = {{1, 2, 3}, FERRY_PORT_NULL, {0x01020304u, 0xa0b0c0d0u, 7}};
    const ferry_ool_t ools[] = {{0x0102030405060708ULL, 1ULL << 40}, {0, 0}};
    unsigned char buf[2048];

    for (int swap = 0; swap <= 1; swap++) {
        ferry_typed_writer_t w, m;
        writer(&w, buf, sizeof buf, swap);
        CU_ASSERT_EQUAL(ferry_typed_writer_init(&m, NULL, 0), FERRY_OK);
        for (int pass = 0; pass < 2; pass++) {
            ferry_typed_writer_t *x = pass ? &m : &w;
            CU_ASSERT_EQUAL(ferry_typed_put_i8(x, i8, 5), FERRY_OK);
            CU_ASSERT_EQUAL(ferry_typed_put_u8(x, u8, 3), FERRY_OK);
            CU_ASSERT_EQUAL(ferry_typed_put_i16(x, i16, 4), FERRY_OK);
            CU_ASSERT_EQUAL(ferry_typed_put_u16(x, u16, 3), FERRY_OK);
            CU_ASSERT_EQUAL(ferry_typed_put_i32(x, i32, 4), FERRY_OK);
            CU_ASSERT_EQUAL(ferry_typed_put_u32(x, u32, 2), FERRY_OK);
            CU_ASSERT_EQUAL(ferry_typed_put_u32(x, NULL, 0), FERRY_OK);
            CU_ASSERT_EQUAL(ferry_typed_put_i64(x, i64, 4), FERRY_OK);
            CU_ASSERT_EQUAL(ferry_typed_put_u64(x, u64, 3), FERRY_OK);
            CU_ASSERT_EQUAL(ferry_typed_put_f32(x, f32, 5), FERRY_OK);
            CU_ASSERT_EQUAL(ferry_typed_put_f64(x, f64, 5), FERRY_OK);
            CU_ASSERT_EQUAL(ferry_typed_put_bytes(x, bytes, sizeof bytes), FERRY_OK);
            CU_ASSERT_EQUAL(ferry_typed_put_port(x, ports, 3), FERRY_OK);
            CU_ASSERT_EQUAL(ferry_typed_put_ool(x, ools, 2), FERRY_OK);
        }
        /* Measuring gives the size writing takes. */
        CU_ASSERT_EQUAL(ferry_typed_size(&m), ferry_typed_size(&w));

        size_t len = ferry_typed_size(&w);
        unsigned char *body = exact_copy(buf, len);
        ferry_typed_reader_t r;
        CU_ASSERT_EQUAL_FATAL(ferry_typed_reader_init(&r, body, len), FERRY_OK);
        CU_ASSERT_EQUAL(ferry_typed_swapped(&r), swap);
        int8_t gi8[5];
        uint8_t gu8[3];
        int16_t gi16[4];
        uint16_t gu16[3];
        int32_t gi32[4];
        uint32_t gu32[2];
        int64_t gi64[4];
        uint64_t gu64[3];
        float gf32[5];
        double gf64[5];
        char gbytes[sizeof bytes];
        ferry_port_t gports[3];
        ferry_ool_t gools[2];
        CU_ASSERT_EQUAL(ferry_typed_get_i8(&r, gi8, 5), FERRY_OK);
        CU_ASSERT(memcmp(gi8, i8, sizeof i8) == 0);
        CU_ASSERT_EQUAL(ferry_typed_get_u8(&r, gu8, 3), FERRY_OK);
        CU_ASSERT(memcmp(gu8, u8, sizeof u8) == 0);
        CU_ASSERT_EQUAL(ferry_typed_get_i16(&r, gi16, 4), FERRY_OK);
        CU_ASSERT(memcmp(gi16, i16, sizeof i16) == 0);
        CU_ASSERT_EQUAL(ferry_typed_get_u16(&r, gu16, 3), FERRY_OK);
        CU_ASSERT(memcmp(gu16, u16, sizeof u16) == 0);
        CU_ASSERT_EQUAL(ferry_typed_get_i32(&r, gi32, 4), FERRY_OK);
        CU_ASSERT(memcmp(gi32, i32, sizeof i32) == 0);
        CU_ASSERT_EQUAL(ferry_typed_get_u32(&r, gu32, 2), FERRY_OK);
        CU_ASSERT(memcmp(gu32, u32, sizeof u32) == 0);
        CU_ASSERT_EQUAL(ferry_typed_get_u32(&r, NULL, 0), FERRY_OK);
        CU_ASSERT_EQUAL(ferry_typed_get_i64(&r, gi64, 4), FERRY_OK);
        CU_ASSERT(memcmp(gi64, i64, sizeof i64) == 0);
        CU_ASSERT_EQUAL(ferry_typed_get_u64(&r, gu64, 3), FERRY_OK);
        CU_ASSERT(memcmp(gu64, u64, sizeof u64) == 0);
        CU_ASSERT_EQUAL(ferry_typed_get_f32(&r, gf32, 5), FERRY_OK);
        CU_ASSERT(memcmp(gf32, f32, sizeof f32) == 0);
        CU_ASSERT_EQUAL(ferry_typed_get_f64(&r, gf64, 5), FERRY_OK);
        CU_ASSERT(memcmp(gf64, f64, sizeof f64) == 0);
        CU_ASSERT_EQUAL(ferry_typed_get_bytes(&r, gbytes, sizeof bytes), FERRY_OK);
        CU_ASSERT(memcmp(gbytes, bytes, sizeof bytes) == 0);
        CU_ASSERT_EQUAL(ferry_typed_get_port(&r, gports, 3), FERRY_OK);
        CU_ASSERT(memcmp(gports, ports, sizeof ports) == 0);
        CU_ASSERT_EQUAL(gports[1].rank, UINT32_MAX);
        CU_ASSERT_EQUAL(ferry_typed_get_ool(&r, gools, 2), FERRY_OK);
        CU_ASSERT_EQUAL(gools[0].handle, ools[0].handle);
        CU_ASSERT_EQUAL(gools[0].len, ools[0].len);
        CU_ASSERT_EQUAL(gools[1].handle, 0);
        /* After the last item. */
        CU_ASSERT_EQUAL(ferry_typed_peek(&r, NULL, NULL), FERRY_ERR_NOT_FOUND);
        CU_ASSERT_EQUAL(ferry_typed_get_u8(&r, gu8, 0), FERRY_ERR_NOT_FOUND);
        CU_ASSERT_EQUAL(ferry_typed_skip(&r), FERRY_ERR_NOT_FOUND);
        const void *ref;
        CU_ASSERT_EQUAL(ferry_typed_get_ref(&r, FERRY_TYPE_BYTES, &ref, NULL), FERRY_ERR_NOT_FOUND);
        free(body);
    }
}

/* The bytes a writer emits, in both orders, and hand-built bodies of both
 * orders read as native values: a writer and reader that agreed on a wrong
 * order would pass the round trips but not this. */
static void test_wire_bytes(void)
{
    const uint32_t v32 = 0x01020304u;
    const uint16_t v16 = 0x0a0b;
    unsigned char buf[64];
    unsigned char host = host_is_little() ? 1 : 2;
    for (int swap = 0; swap <= 1; swap++) {
        ferry_typed_writer_t w;
        writer(&w, buf, sizeof buf, swap);
        CU_ASSERT_EQUAL(ferry_typed_put_u32(&w, &v32, 1), FERRY_OK);
        CU_ASSERT_EQUAL(ferry_typed_put_u16(&w, &v16, 1), FERRY_OK);
        CU_ASSERT_EQUAL(ferry_typed_size(&w), 8 + 24 + 24);
        int big = (host == 2) != swap;
        CU_ASSERT(memcmp(buf, "FTYP\1", 5) == 0);
        CU_ASSERT_EQUAL(buf[5], big ? 2 : 1);
        CU_ASSERT_EQUAL(buf[8], FERRY_TYPE_UINT32);
        CU_ASSERT_EQUAL(buf[9], 4);
        CU_ASSERT_EQUAL(buf[big ? 23 : 16], 1); /* the count, 1 */
        static const unsigned char be32[] = {1, 2, 3, 4}, le32[] = {4, 3, 2, 1};
        CU_ASSERT(memcmp(buf + 24, big ? be32 : le32, 4) == 0);
        CU_ASSERT_EQUAL(buf[32], FERRY_TYPE_UINT16);
        CU_ASSERT_EQUAL(buf[48 + (big ? 0 : 1)], 0x0a);
    }

    /* Written by hand: a u16, an i64, a port name and a float64 of 1.0 in
     * each byte order. */
    for (int big = 0; big <= 1; big++) {
        unsigned char b[8 + 24 + 24 + 32 + 24];
        memset(b, 0, sizeof b);
        memcpy(b, "FTYP\1", 5);
        b[5] = big ? 2 : 1;
        size_t at = 8;
        const struct {
            unsigned char tag, size, unit;
            const unsigned char *be; /* the value, big-endian */
        } items[] = {
            {FERRY_TYPE_UINT16, 2, 2, (const unsigned char *)"\xbe\xef"},
            {FERRY_TYPE_INT64, 8, 8, (const unsigned char *)"\xff\xff\xff\xff\xff\xff\xff\xfe"},
            {FERRY_TYPE_PORT, 12, 4,
             (const unsigned char *)"\x00\x00\x00\x05\x00\x01\x00\x02\x80\x00\x00\x01"},
            {FERRY_TYPE_FLOAT64, 8, 8, (const unsigned char *)"\x3f\xf0\0\0\0\0\0\0"},
        };
        for (size_t i = 0; i < 4; i++) {
            b[at] = items[i].tag;
            b[at + 1] = items[i].size;
            b[at + (big ? 15 : 8)] = 1;
            for (size_t f = 0; f < items[i].size; f += items[i].unit)
                for (size_t k = 0; k < items[i].unit; k++)
                    b[at + 16 + f + k] = items[i].be[f + (big ? k : items[i].unit - 1 - k)];
            at += item_bytes(items[i].size, 1);
        }
        CU_ASSERT_EQUAL_FATAL(at, sizeof b);
        unsigned char *body = exact_copy(b, sizeof b);
        ferry_typed_reader_t r;
        CU_ASSERT_EQUAL_FATAL(ferry_typed_reader_init(&r, body, sizeof b), FERRY_OK);
        CU_ASSERT_EQUAL(ferry_typed_swapped(&r), big == host_is_little());
        uint16_t u16;
        int64_t i64;
        ferry_port_t port;
        double f64;
        CU_ASSERT_EQUAL(ferry_typed_get_u16(&r, &u16, 1), FERRY_OK);
        CU_ASSERT_EQUAL(u16, 0xbeef);
        CU_ASSERT_EQUAL(ferry_typed_get_i64(&r, &i64, 1), FERRY_OK);
        CU_ASSERT_EQUAL(i64, -2);
        CU_ASSERT_EQUAL(ferry_typed_get_port(&r, &port, 1), FERRY_OK);
        CU_ASSERT_EQUAL(port.rank, 5);
        CU_ASSERT_EQUAL(port.index, 0x00010002u);
        CU_ASSERT_EQUAL(port.gen, 0x80000001u);
        CU_ASSERT_EQUAL(ferry_typed_get_f64(&r, &f64, 1), FERRY_OK);
        CU_ASSERT_EQUAL(f64, 1.0);
        free(body);
    }
}

/* The variable is read when a writer starts, and only "1" forces a swap. */
static void test_force_swap_variable(void)
{
    unsigned char buf[16];
    unsigned char host = host_is_little() ? 1 : 2;
    ferry_typed_writer_t w;
    static const char *const off[] = {"0", "", "yes"};
    for (size_t i = 0; i < 3; i++) {
        setenv("FERRY_TYPED_FORCE_SWAP", off[i], 1);
        CU_ASSERT_EQUAL(ferry_typed_writer_init(&w, buf, sizeof buf), FERRY_OK);
        CU_ASSERT_EQUAL(buf[5], host);
    }
    setenv("FERRY_TYPED_FORCE_SWAP", "1", 1);
    CU_ASSERT_EQUAL(ferry_typed_writer_init(&w, buf, sizeof buf), FERRY_OK);
    unsetenv("FERRY_TYPED_FORCE_SWAP");
    CU_ASSERT_EQUAL(buf[5], 3 - host);
    /* Still swapping after the variable went away. */
    uint32_t v = 0x11223344u, got;
    unsigned char body[32];
    CU_ASSERT_EQUAL(ferry_typed_writer_init(&w, body, sizeof body), FERRY_OK); /* not swapped */
    setenv("FERRY_TYPED_FORCE_SWAP", "1", 1);
    CU_ASSERT_EQUAL(ferry_typed_put_u32(&w, &v, 1), FERRY_OK);
    unsetenv("FERRY_TYPED_FORCE_SWAP");
    ferry_typed_reader_t r;
    CU_ASSERT_EQUAL(ferry_typed_reader_init(&r, body, ferry_typed_size(&w)), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_typed_swapped(&r), 0);
    CU_ASSERT_EQUAL(ferry_typed_get_u32(&r, &got, 1), FERRY_OK);
    CU_ASSERT_EQUAL(got, v);
}

/* Wrong type or count leaves the item next; references in place only
 * where no conversion is needed and the data is aligned. */
static void test_wrong_requests(void)
{
    const int32_t v[3] = {-1, 2, -3};
    const char text[5] = "abcde";
    const int64_t big[2] = {-5, 1LL << 50};
    _Alignas(8) unsigned char buf[256];
    for (int swap = 0; swap <= 1; swap++) {
        ferry_typed_writer_t w;
        writer(&w, buf, sizeof buf, swap);
        CU_ASSERT_EQUAL(ferry_typed_put_i32(&w, v, 3), FERRY_OK);
        CU_ASSERT_EQUAL(ferry_typed_put_bytes(&w, text, 5), FERRY_OK);
        CU_ASSERT_EQUAL(ferry_typed_put_i64(&w, big, 2), FERRY_OK);
        CU_ASSERT_EQUAL(ferry_typed_put_u8(&w, (const uint8_t *)text, 2), FERRY_OK);
        size_t len = ferry_typed_size(&w);
        ferry_typed_reader_t r;
        CU_ASSERT_EQUAL_FATAL(ferry_typed_reader_init(&r, buf, len), FERRY_OK);
        int32_t got[4] = {0, 0, 0, 7};
        uint32_t ugot[3];
        CU_ASSERT_EQUAL(ferry_typed_get(&r, FERRY_TYPE_UINT32, ugot, 3), FERRY_ERR_INVALID);
        CU_ASSERT_EQUAL(ferry_typed_get_i32(&r, got, 2), FERRY_ERR_INVALID);
        CU_ASSERT_EQUAL(ferry_typed_get_i32(&r, got, 4), FERRY_ERR_INVALID);
        CU_ASSERT_EQUAL(ferry_typed_get_i32(&r, NULL, 3), FERRY_ERR_INVALID);
        CU_ASSERT_EQUAL(ferry_typed_get(&r, (enum ferry_type)0, got, 3), FERRY_ERR_INVALID);
        CU_ASSERT_EQUAL(ferry_typed_get(&r, (enum ferry_type)99, got, 3), FERRY_ERR_INVALID);
        CU_ASSERT_EQUAL(got[0], 0);
        const void *ref = NULL;
        size_t n = 0;
        /* A 32-bit item in the other order cannot be used in place. */
        CU_ASSERT_EQUAL(ferry_typed_get_ref(&r, FERRY_TYPE_INT32, &ref, &n),
                        swap ? FERRY_ERR_INVALID : FERRY_OK);
        if (swap) {
            CU_ASSERT_EQUAL(ferry_typed_get_i32(&r, got, 3), FERRY_OK);
            CU_ASSERT(memcmp(got, v, sizeof v) == 0);
        } else {
            CU_ASSERT_EQUAL(n, 3);
            CU_ASSERT(ref == buf + 24);
            CU_ASSERT(memcmp(ref, v, sizeof v) == 0);
        }
        CU_ASSERT_EQUAL(got[3], 7);
        /* Bytes are never converted: always in place. */
        CU_ASSERT_EQUAL(ferry_typed_get_ref(&r, FERRY_TYPE_INT8, &ref, &n), FERRY_ERR_INVALID);
        CU_ASSERT_EQUAL(ferry_typed_get_ref(&r, FERRY_TYPE_BYTES, NULL, &n), FERRY_ERR_INVALID);
        CU_ASSERT_EQUAL(ferry_typed_get_ref(&r, FERRY_TYPE_BYTES, &ref, &n), FERRY_OK);
        CU_ASSERT_EQUAL(n, 5);
        CU_ASSERT(memcmp(ref, text, 5) == 0);
        CU_ASSERT_EQUAL(ferry_typed_skip(&r), FERRY_OK); /* the int64s */
        enum ferry_type t;
        CU_ASSERT_EQUAL(ferry_typed_peek(&r, &t, &n), FERRY_OK);
        CU_ASSERT_EQUAL(t, FERRY_TYPE_UINT8);
        CU_ASSERT_EQUAL(ferry_typed_get_ref(&r, FERRY_TYPE_UINT8, &ref, NULL), FERRY_OK);
        CU_ASSERT_EQUAL(ferry_typed_peek(&r, &t, &n), FERRY_ERR_NOT_FOUND);

        /* The same body one byte off alignment: still read by copy, and
         * 64-bit items are not handed out in place even when native. */
        unsigned char *odd = malloc(len + 1);
        memcpy(odd + 1, buf, len);
        CU_ASSERT_EQUAL_FATAL(ferry_typed_reader_init(&r, odd + 1, len), FERRY_OK);
        CU_ASSERT_EQUAL(ferry_typed_get_i32(&r, got, 3), FERRY_OK);
        CU_ASSERT(memcmp(got, v, sizeof v) == 0);
        CU_ASSERT_EQUAL(ferry_typed_get_ref(&r, FERRY_TYPE_BYTES, &ref, &n), FERRY_OK);
        CU_ASSERT_EQUAL(ferry_typed_get_ref(&r, FERRY_TYPE_INT64, &ref, &n), FERRY_ERR_INVALID);
        int64_t gbig[2];
        CU_ASSERT_EQUAL(ferry_typed_get_i64(&r, gbig, 2), FERRY_OK);
        CU_ASSERT(memcmp(gbig, big, sizeof big) == 0);
        free(odd);
    }
}

/* Writer limits: no room, huge counts, bad arguments; a failed put leaves
 * the body readable as it was. */
static void test_writer_limits(void)
{
    unsigned char buf[64];
    const uint64_t v[4] = {1, 2, 3, 4};
    ferry_typed_writer_t w;
    CU_ASSERT_EQUAL(ferry_typed_writer_init(NULL, buf, sizeof buf), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_writer_init(&w, NULL, 8), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_put_u8(&w, buf, 0), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_writer_init(&w, buf, 7), FERRY_ERR_NOMEM);
    CU_ASSERT_EQUAL(ferry_typed_put_u8(&w, buf, 0), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_writer_init(&w, buf, 8), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_typed_size(&w), 8);
    CU_ASSERT_EQUAL(ferry_typed_put_u8(&w, buf, 0), FERRY_ERR_NOMEM);

    memset(buf, 0xcc, sizeof buf);
    CU_ASSERT_EQUAL(ferry_typed_writer_init(&w, buf, 56), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_typed_put_u64(&w, v, 1), FERRY_OK); /* 8 + 24 */
    CU_ASSERT_EQUAL(ferry_typed_put_u64(&w, v, 2), FERRY_ERR_NOMEM);
    CU_ASSERT_EQUAL(ferry_typed_put_u64(&w, v, SIZE_MAX), FERRY_ERR_NOMEM);
    CU_ASSERT_EQUAL(ferry_typed_put_ool(&w, (const ferry_ool_t *)v, SIZE_MAX / 16 + 1),
                    FERRY_ERR_NOMEM);
    CU_ASSERT_EQUAL(ferry_typed_size(&w), 32);
    CU_ASSERT_EQUAL(buf[32], 0xcc); /* nothing written past the body */
    CU_ASSERT_EQUAL(ferry_typed_put(&w, (enum ferry_type)0, v, 1), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_put(&w, (enum ferry_type)14, v, 1), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_put(&w, (enum ferry_type) - 1, v, 1), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_put(&w, FERRY_TYPE_UINT64, NULL, 1), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_put(NULL, FERRY_TYPE_UINT64, v, 1), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_put_u8(&w, (const uint8_t *)v, 8), FERRY_OK); /* exactly fits */
    CU_ASSERT_EQUAL(ferry_typed_size(&w), 56);
    CU_ASSERT_EQUAL(ferry_typed_size(NULL), 0);
    ferry_typed_reader_t r;
    uint64_t got;
    CU_ASSERT_EQUAL_FATAL(ferry_typed_reader_init(&r, buf, 56), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_typed_get_u64(&r, &got, 1), FERRY_OK);
    CU_ASSERT_EQUAL(got, 1);

    /* Measuring: sizes add up without a buffer, and overflow is refused. */
    CU_ASSERT_EQUAL(ferry_typed_writer_init(&w, NULL, 0), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_typed_put_bytes(&w, v, 5), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_typed_put_port(&w, (const ferry_port_t *)v, 3), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_typed_size(&w), 8 + 24 + 16 + 40);
    CU_ASSERT_EQUAL(ferry_typed_put_bytes(&w, v, SIZE_MAX - 64), FERRY_ERR_NOMEM);
    CU_ASSERT_EQUAL(ferry_typed_size(&w), 8 + 24 + 16 + 40);
}

/* A valid body with one item of each kind used by the hostile tests, in
 * malloc'ed memory of exactly its size. Item boundaries go to bounds. */
static unsigned char *sample_body(int swap, size_t *len, size_t *bounds, size_t *nbounds)
{
    static unsigned char buf[512];
    const uint16_t u16[3] = {1, 2, 3};
    const double f64[2] = {0.5, -2};
    const ferry_port_t port = {3, 4, 5};
    const ferry_ool_t ool = {6, 7};
    ferry_typed_writer_t w;
    writer(&w, buf, sizeof buf, swap);
    *nbounds = 0;
    bounds[(*nbounds)++] = ferry_typed_size(&w);
    CU_ASSERT_EQUAL(ferry_typed_put_u16(&w, u16, 3), FERRY_OK);
    bounds[(*nbounds)++] = ferry_typed_size(&w);
    CU_ASSERT_EQUAL(ferry_typed_put_bytes(&w, "xyz", 3), FERRY_OK);
    bounds[(*nbounds)++] = ferry_typed_size(&w);
    CU_ASSERT_EQUAL(ferry_typed_put_f64(&w, f64, 2), FERRY_OK);
    bounds[(*nbounds)++] = ferry_typed_size(&w);
    CU_ASSERT_EQUAL(ferry_typed_put_port(&w, &port, 1), FERRY_OK);
    bounds[(*nbounds)++] = ferry_typed_size(&w);
    CU_ASSERT_EQUAL(ferry_typed_put_ool(&w, &ool, 1), FERRY_OK);
    bounds[(*nbounds)++] = ferry_typed_size(&w);
    *len = ferry_typed_size(&w);
    return exact_copy(buf, *len);
}

static int init_copy(const unsigned char *b, size_t len)
{
    unsigned char *c = exact_copy(b, len);
    ferry_typed_reader_t r;
    int rc = ferry_typed_reader_init(&r, c, len);
    free(c);
    return rc;
}

/* Offsets in the sample body: its first item (u16 x 3) and the second's
 * (bytes x 3) header. */
#define ITEM1  8
#define ITEM2  (8 + 24)
#define COUNT1 (ITEM1 + 8)

static void put_count(unsigned char *b, size_t at, uint64_t count, int big)
{
    for (int i = 0; i < 8; i++)
        b[at + (size_t)(big ? 7 - i : i)] = (unsigned char)(count >> (8 * i));
}

/* Bad headers, tags, sizes, reserved bytes, padding and counts: each one
 * refused with FERRY_ERR_PEER. */
static void test_hostile_fields(void)
{
    size_t len, bounds[8], nb;
    for (int swap = 0; swap <= 1; swap++) {
        unsigned char *good = sample_body(swap, &len, bounds, &nb);
        int big = good[5] == 2;
        unsigned char *b = malloc(len);
        CU_ASSERT_EQUAL(init_copy(good, len), FERRY_OK);
        struct {
            size_t at;
            unsigned char val;
        } pokes[] = {
            {0, 'f'},
            {3, 'Q'},
            {4, 0},
            {4, 2},
            {5, 0},
            {5, 3},
            {5, 0xff},
            {6, 1},
            {7, 0x80},
            {ITEM1, 0},
            {ITEM1, 14},
            {ITEM1, 0xff},
            {ITEM1, 4 | 0x80},
            {ITEM1 + 1, 1},
            {ITEM1 + 1, 4},
            {ITEM1 + 1, 0},
            {ITEM1 + 2, 1},
            {ITEM1 + 7, 1},
            {ITEM1 + 16 + 6, 1}, /* padding */
            {ITEM1 + 16 + 7, 0xff},
            {ITEM2 + 16 + 3, 1},
            {ITEM2 + 16 + 7, 1},
        };
        for (size_t i = 0; i < sizeof pokes / sizeof pokes[0]; i++) {
            memcpy(b, good, len);
            b[pokes[i].at] = pokes[i].val;
            CU_ASSERT_EQUAL(init_copy(b, len), FERRY_ERR_PEER);
        }
        /* Counts past the end, including ones whose byte size wraps to
         * something small (2^63 x 2 bytes is 0 in 64 bits). */
        const uint64_t counts[] = {
            5,          UINT64_MAX,    UINT64_MAX / 2 + 1, (UINT64_MAX / 2 + 1) + 3,
            1ULL << 62, (uint64_t)len, (uint64_t)SIZE_MAX};
        for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
            memcpy(b, good, len);
            put_count(b, COUNT1, counts[i], big);
            CU_ASSERT_EQUAL(init_copy(b, len), FERRY_ERR_PEER);
        }
        /* A count that makes the item end exactly where a later one starts
         * still breaks the walk (the bytes there are not an item). */
        memcpy(b, good, len);
        put_count(b, COUNT1, 12, big); /* 24 bytes: over item 2's header */
        CU_ASSERT_EQUAL(init_copy(b, len), FERRY_ERR_PEER);
        /* Huge counts on 12- and 16-byte elements. */
        for (size_t k = 3; k <= 4; k++) {
            size_t at = bounds[k] + 8; /* port, then ool count */
            const uint64_t wrap = k == 3 ? UINT64_MAX / 12 + 1 : (1ULL << 60);
            memcpy(b, good, len);
            put_count(b, at, wrap, big);
            CU_ASSERT_EQUAL(init_copy(b, len), FERRY_ERR_PEER);
            put_count(b, at, 2, big);
            CU_ASSERT_EQUAL(init_copy(b, len), FERRY_ERR_PEER);
        }
        free(b);
        free(good);
    }
    ferry_typed_reader_t r;
    CU_ASSERT_EQUAL(ferry_typed_reader_init(&r, NULL, 0), FERRY_ERR_PEER);
    CU_ASSERT_EQUAL(ferry_typed_reader_init(&r, NULL, 8), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_reader_init(NULL, "FTYP\1\1\0\0", 8), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_reader_init(&r, "FTYP\1\1\0\0", 8), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_typed_peek(&r, NULL, NULL), FERRY_ERR_NOT_FOUND);
    /* A reader whose init failed reads nothing. */
    CU_ASSERT_EQUAL(ferry_typed_reader_init(&r, "FTYP\2\1\0\0", 8), FERRY_ERR_PEER);
    CU_ASSERT_EQUAL(ferry_typed_peek(&r, NULL, NULL), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_skip(&r), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_get(&r, FERRY_TYPE_UINT8, NULL, 0), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_swapped(&r), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_typed_swapped(NULL), FERRY_ERR_INVALID);
}

/* Every prefix of a body: one that ends between items is a shorter valid
 * body, one that ends inside an item is refused; extra bytes are refused. */
static void test_truncated_and_trailing(void)
{
    size_t len, bounds[8], nb;
    for (int swap = 0; swap <= 1; swap++) {
        unsigned char *good = sample_body(swap, &len, bounds, &nb);
        for (size_t cut = 0; cut < len; cut++) {
            int boundary = 0;
            size_t items = 0;
            for (size_t k = 0; k < nb; k++)
                if (bounds[k] == cut) boundary = 1, items = k;
            unsigned char *c = exact_copy(good, cut);
            ferry_typed_reader_t r;
            int rc = ferry_typed_reader_init(&r, c, cut);
            CU_ASSERT_EQUAL(rc, boundary ? FERRY_OK : FERRY_ERR_PEER);
            if (rc == FERRY_OK) {
                size_t seen = 0;
                while (ferry_typed_skip(&r) == FERRY_OK) seen++;
                CU_ASSERT_EQUAL(seen, items);
            }
            free(c);
        }
        for (size_t extra = 1; extra <= 24; extra++) {
            unsigned char *c = calloc(1, len + extra);
            memcpy(c, good, len);
            CU_ASSERT_EQUAL(init_copy(c, len + extra), FERRY_ERR_PEER);
            free(c);
        }
        free(good);
    }
}

/* Random mutations of a valid body: the reader either refuses it or reads
 * items that lie within it. A sanitizer build turns any overread into a
 * failure; here each item read must also stay inside the body's size. */
static void test_mutations(void)
{
    size_t len, bounds[8], nb;
    rng_state = 42;
    unsigned char *out = malloc(1024);
    for (int swap = 0; swap <= 1; swap++) {
        unsigned char *good = sample_body(swap, &len, bounds, &nb);
        unsigned accepted = 0, refused = 0;
        for (int iter = 0; iter < 20000; iter++) {
            unsigned char *b = exact_copy(good, len);
            int flips = 1 + (int)(rng() % 4);
            for (int f = 0; f < flips; f++) b[rng() % len] = (unsigned char)rng();
            size_t blen = len - (iter % 3 == 0 ? rng() % len : 0);
            ferry_typed_reader_t r;
            if (ferry_typed_reader_init(&r, b, blen) != FERRY_OK) {
                refused++;
                free(b);
                continue;
            }
            accepted++;
            enum ferry_type t;
            size_t n, total = 8;
            while (ferry_typed_peek(&r, &t, &n) == FERRY_OK) {
                CU_ASSERT_FATAL(t >= FERRY_TYPE_INT8 && t <= FERRY_TYPE_OOL);
                CU_ASSERT_FATAL(n <= blen / elem_size[t]);
                total += item_bytes(elem_size[t], n);
                CU_ASSERT_FATAL(n * elem_size[t] <= 1024);
                CU_ASSERT_EQUAL_FATAL(ferry_typed_get(&r, t, out, n), FERRY_OK);
            }
            CU_ASSERT_EQUAL(total, blen);
            free(b);
        }
        /* Both outcomes happened: the mutations were neither all harmless
         * nor all fatal. */
        CU_ASSERT(accepted > 100);
        CU_ASSERT(refused > 1000);
        free(good);
    }
    free(out);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    CU_pSuite s = CU_add_suite("typed messages", NULL, NULL);
    CU_add_test(s, "round trip of each type, counts 0/1/many, both orders",
                test_round_trip_each_type);
    CU_add_test(s, "mixed items and edge values, both orders", test_mixed);
    CU_add_test(s, "bytes on the wire and hand-built bodies", test_wire_bytes);
    CU_add_test(s, "FERRY_TYPED_FORCE_SWAP", test_force_swap_variable);
    CU_add_test(s, "wrong type or count, references in place", test_wrong_requests);
    CU_add_test(s, "writer limits", test_writer_limits);
    CU_add_test(s, "hostile header and item fields", test_hostile_fields);
    CU_add_test(s, "truncated bodies and trailing bytes", test_truncated_and_trailing);
    CU_add_test(s, "random mutations", test_mutations);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
