/* The predefined reduction kernels: one per (operation, C type) pair the
 * standard defines, on packed elements. Signed integers add and multiply
 * in their unsigned twin, so overflow wraps instead of being undefined. */
#include <complex.h>
#include <stdbool.h>
#include <string.h>

#include "runtime/mpi/op_kernels.h"

/* These loops are the inner loops of every long reduction: GCC at -O2
 * leaves them scalar (its cheapest cost model takes no loop that needs a
 * remainder), 5x slower than vectors here (1 MiB of int sums: 330 against
 * 68 us); clang vectorizes them already. The operands of one call never
 * partly overlap (restrict), so no run-time alias check is needed. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif

#define LOOP(T, expr)                                                                              \
    const T *restrict x = in;                                                                      \
    T *restrict y = io;                                                                            \
    for (size_t i = 0; i < n; i++) y[i] = (expr);

#define K(op, name, T, expr)                                                                       \
    static void op##_##name(const void *in, void *io, size_t n)                                    \
    {                                                                                              \
        LOOP(T, expr)                                                                              \
    }

#define INTK(name, T, UT)                                                                          \
    K(max, name, T, x[i] > y[i] ? x[i] : y[i])                                                     \
    K(min, name, T, x[i] < y[i] ? x[i] : y[i])                                                     \
    K(sum, name, T, (T)((UT)x[i] + (UT)y[i]))                                                      \
    K(prod, name, T, (T)((UT)x[i] * (UT)y[i]))                                                     \
    K(land, name, T, (T)(x[i] && y[i]))                                                            \
    K(lor, name, T, (T)(x[i] || y[i]))                                                             \
    K(lxor, name, T, (T)(!x[i] != !y[i]))                                                          \
    K(band, name, T, (T)(x[i] & y[i]))                                                             \
    K(bor, name, T, (T)(x[i] | y[i]))                                                              \
    K(bxor, name, T, (T)(x[i] ^ y[i]))                                                             \
    static const struct kset k_##name = {{[OPK_MAX] = max_##name,                                  \
                                          [OPK_MIN] = min_##name,                                  \
                                          [OPK_SUM] = sum_##name,                                  \
                                          [OPK_PROD] = prod_##name,                                \
                                          [OPK_LAND] = land_##name,                                \
                                          [OPK_LOR] = lor_##name,                                  \
                                          [OPK_LXOR] = lxor_##name,                                \
                                          [OPK_BAND] = band_##name,                                \
                                          [OPK_BOR] = bor_##name,                                  \
                                          [OPK_BXOR] = bxor_##name}};

#define FLTK(name, T)                                                                              \
    K(max, name, T, x[i] > y[i] ? x[i] : y[i])                                                     \
    K(min, name, T, x[i] < y[i] ? x[i] : y[i])                                                     \
    K(sum, name, T, x[i] + y[i])                                                                   \
    K(prod, name, T, x[i] * y[i])                                                                  \
    static const struct kset k_##name = {{[OPK_MAX] = max_##name,                                  \
                                          [OPK_MIN] = min_##name,                                  \
                                          [OPK_SUM] = sum_##name,                                  \
                                          [OPK_PROD] = prod_##name}};

#define CPXK(name, T)                                                                              \
    K(sum, name, T, x[i] + y[i])                                                                   \
    K(prod, name, T, x[i] * y[i])                                                                  \
    static const struct kset k_##name = {{[OPK_SUM] = sum_##name, [OPK_PROD] = prod_##name}};

INTK(schar, signed char, unsigned char)
INTK(uchar, unsigned char, unsigned char)
INTK(short, short, unsigned short)
INTK(ushort, unsigned short, unsigned short)
INTK(int, int, unsigned)
INTK(uint, unsigned, unsigned)
INTK(long, long, unsigned long)
INTK(ulong, unsigned long, unsigned long)
INTK(llong, long long, unsigned long long)
INTK(ullong, unsigned long long, unsigned long long)
FLTK(float, float)
FLTK(double, double)
FLTK(ldouble, long double)
CPXK(fc, float _Complex)
CPXK(dc, double _Complex)
CPXK(ldc, long double _Complex)

K(land, bool, bool, x[i] && y[i])
K(lor, bool, bool, x[i] || y[i])
K(lxor, bool, bool, x[i] != y[i])
static const struct kset k_bool = {
    {[OPK_LAND] = land_bool, [OPK_LOR] = lor_bool, [OPK_LXOR] = lxor_bool}};

K(band, byte, unsigned char, x[i] & y[i])
K(bor, byte, unsigned char, x[i] | y[i])
K(bxor, byte, unsigned char, x[i] ^ y[i])
static const struct kset k_byte = {
    {[OPK_BAND] = band_byte, [OPK_BOR] = bor_byte, [OPK_BXOR] = bxor_byte}};

/* Pairs (value, int index), packed: the index right after the value, so
 * read through memcpy. On a tie the lower index wins, as MPI asks. */
#define PAIRK(name, T)                                                                             \
    static void loc_##name(const void *in, void *io, size_t n, int want_max)                       \
    {                                                                                              \
        const size_t sz = sizeof(T) + sizeof(int);                                                 \
        const unsigned char *a = in;                                                               \
        unsigned char *b = io;                                                                     \
        for (size_t i = 0; i < n; i++, a += sz, b += sz) {                                         \
            T va, vb;                                                                              \
            int ia, ib;                                                                            \
            memcpy(&va, a, sizeof va);                                                             \
            memcpy(&vb, b, sizeof vb);                                                             \
            memcpy(&ia, a + sizeof(T), sizeof ia);                                                 \
            memcpy(&ib, b + sizeof(T), sizeof ib);                                                 \
            int take = want_max ? va > vb : va < vb;                                               \
            if (take || (va == vb && ia < ib)) memcpy(b, a, sz);                                   \
        }                                                                                          \
    }                                                                                              \
    static void maxloc_##name(const void *in, void *io, size_t n)                                  \
    {                                                                                              \
        loc_##name(in, io, n, 1);                                                                  \
    }                                                                                              \
    static void minloc_##name(const void *in, void *io, size_t n)                                  \
    {                                                                                              \
        loc_##name(in, io, n, 0);                                                                  \
    }                                                                                              \
    static const struct kset k_##name = {                                                          \
        {[OPK_MAXLOC] = maxloc_##name, [OPK_MINLOC] = minloc_##name}};

PAIRK(float_int, float)
PAIRK(double_int, double)
PAIRK(long_int, long)
PAIRK(int_int, int)
PAIRK(short_int, short)
PAIRK(ldouble_int, long double)

/* By the index of the predefined type's handle (include/mpi.h). MPI_CHAR,
 * MPI_WCHAR and MPI_PACKED take no reduction. */
static const struct kset *const by_type[] = {
    [0x02] = &k_schar,   [0x03] = &k_uchar,     [0x04] = &k_byte,        [0x06] = &k_short,
    [0x07] = &k_ushort,  [0x08] = &k_int,       [0x09] = &k_uint,        [0x0a] = &k_long,
    [0x0b] = &k_ulong,   [0x0c] = &k_llong,     [0x0d] = &k_ullong,      [0x0e] = &k_float,
    [0x0f] = &k_double,  [0x10] = &k_ldouble,   [0x12] = &k_bool,        [0x13] = &k_schar,
    [0x14] = &k_short,   [0x15] = &k_int,       [0x16] = &k_long,        [0x17] = &k_uchar,
    [0x18] = &k_ushort,  [0x19] = &k_uint,      [0x1a] = &k_ulong,       [0x1b] = &k_long,
    [0x1c] = &k_llong,   [0x1d] = &k_llong,     [0x1e] = &k_fc,          [0x1f] = &k_dc,
    [0x20] = &k_ldc,     [0x21] = &k_float_int, [0x22] = &k_double_int,  [0x23] = &k_long_int,
    [0x24] = &k_int_int, [0x25] = &k_short_int, [0x26] = &k_ldouble_int, [0x27] = &k_bool,
    [0x28] = &k_fc,      [0x29] = &k_dc,        [0x2a] = &k_ldc,
};

/* The integer types the kernels above assume have these widths. */
_Static_assert(sizeof(int64_t) == sizeof(long) && sizeof(intptr_t) == sizeof(long) &&
                   sizeof(MPI_Offset) == sizeof(long long) &&
                   sizeof(MPI_Count) == sizeof(long long),
               "LP64 assumed by the kernel table");

kernel_fn op_kernel(int opk, unsigned type_index)
{
    if (opk <= 0 || opk >= OPK_N || type_index >= sizeof by_type / sizeof by_type[0] ||
        !by_type[type_index])
        return NULL;
    return by_type[type_index]->f[opk];
}
