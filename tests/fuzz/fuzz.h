/* Shared by the fuzz targets: a reader over the fuzzer's bytes (running out
 * of them yields zeros, so every input is a complete program) and a check
 * that fails loudly, under libFuzzer and under the corpus driver alike. */
#ifndef FERRY_FUZZ_H
#define FERRY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

struct fz {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t fz_u8(struct fz *f)
{
    if (!f->n) return 0;
    f->n--;
    return *f->p++;
}

static inline uint16_t fz_u16(struct fz *f)
{
    uint16_t lo = fz_u8(f);
    return (uint16_t)(lo | fz_u8(f) << 8);
}

static inline uint32_t fz_u32(struct fz *f)
{
    uint32_t lo = fz_u16(f);
    return lo | (uint32_t)fz_u16(f) << 16;
}

static inline uint64_t fz_u64(struct fz *f)
{
    uint64_t lo = fz_u32(f);
    return lo | (uint64_t)fz_u32(f) << 32;
}

/* Up to want bytes, in place; *got says how many there were. */
static inline const uint8_t *fz_bytes(struct fz *f, size_t want, size_t *got)
{
    const uint8_t *p = f->p;
    *got = want < f->n ? want : f->n;
    f->p += *got;
    f->n -= *got;
    return p;
}

/* want bytes copied into out, zero-filled past the end of the input. */
static inline void fz_fill(struct fz *f, void *out, size_t want)
{
    size_t got;
    const uint8_t *p = fz_bytes(f, want, &got);
    memcpy(out, p, got);
    memset((char *)out + got, 0, want - got);
}

/* A copy of n bytes in a block of exactly that size, so a sanitizer sees
 * any read past them (never NULL, even for n == 0). */
static inline void *fz_dup(const void *p, size_t n)
{
    void *q = malloc(n ? n : 1);
    if (!q) abort();
    if (n) memcpy(q, p, n);
    return q;
}

#endif
