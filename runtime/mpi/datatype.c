/* Datatype objects: the predefined types, reference counts, and the
 * questions one asks of a type (size, extent, name). A type is kept
 * flattened: the contiguous blocks of one element, in type-map order. */
#include <complex.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "runtime/mpi/mpi_impl.h"

/* A predefined type: one basic value, or a pair (for MAXLOC/MINLOC). */
struct predef {
    MPI_Datatype h;
    const char *name;
    MPI_Aint size, align;
    MPI_Aint off2, size2, extent; /* pairs: the second member, the whole struct */
};

#define BASIC(h, ctype)                                                                            \
    {                                                                                              \
        h, #h, sizeof(ctype), _Alignof(ctype), 0, 0, sizeof(ctype)                                 \
    }
#define PAIR(h, t1, t2)                                                                            \
    {                                                                                              \
        h, #h, sizeof(t1), _Alignof(struct {                                                       \
            t1 a;                                                                                  \
            t2 b;                                                                                  \
        }),                                                                                        \
            offsetof(                                                                              \
                struct {                                                                           \
                    t1 a;                                                                          \
                    t2 b;                                                                          \
                },                                                                                 \
                b),                                                                                \
            sizeof(t2), sizeof(struct {                                                            \
                t1 a;                                                                              \
                t2 b;                                                                              \
            })                                                                                     \
    }

static const struct predef predefs[] = {
    BASIC(MPI_CHAR, char),
    BASIC(MPI_SIGNED_CHAR, signed char),
    BASIC(MPI_UNSIGNED_CHAR, unsigned char),
    BASIC(MPI_BYTE, unsigned char),
    BASIC(MPI_WCHAR, wchar_t),
    BASIC(MPI_SHORT, short),
    BASIC(MPI_UNSIGNED_SHORT, unsigned short),
    BASIC(MPI_INT, int),
    BASIC(MPI_UNSIGNED, unsigned),
    BASIC(MPI_LONG, long),
    BASIC(MPI_UNSIGNED_LONG, unsigned long),
    BASIC(MPI_LONG_LONG_INT, long long),
    BASIC(MPI_UNSIGNED_LONG_LONG, unsigned long long),
    BASIC(MPI_FLOAT, float),
    BASIC(MPI_DOUBLE, double),
    BASIC(MPI_LONG_DOUBLE, long double),
    BASIC(MPI_PACKED, unsigned char),
    BASIC(MPI_C_BOOL, _Bool),
    BASIC(MPI_INT8_T, int8_t),
    BASIC(MPI_INT16_T, int16_t),
    BASIC(MPI_INT32_T, int32_t),
    BASIC(MPI_INT64_T, int64_t),
    BASIC(MPI_UINT8_T, uint8_t),
    BASIC(MPI_UINT16_T, uint16_t),
    BASIC(MPI_UINT32_T, uint32_t),
    BASIC(MPI_UINT64_T, uint64_t),
    BASIC(MPI_AINT, MPI_Aint),
    BASIC(MPI_OFFSET, MPI_Offset),
    BASIC(MPI_COUNT, MPI_Count),
    BASIC(MPI_C_FLOAT_COMPLEX, float _Complex),
    BASIC(MPI_C_DOUBLE_COMPLEX, double _Complex),
    BASIC(MPI_C_LONG_DOUBLE_COMPLEX, long double _Complex),
    PAIR(MPI_FLOAT_INT, float, int),
    PAIR(MPI_DOUBLE_INT, double, int),
    PAIR(MPI_LONG_INT, long, int),
    PAIR(MPI_2INT, int, int),
    PAIR(MPI_SHORT_INT, short, int),
    PAIR(MPI_LONG_DOUBLE_INT, long double, int),
    /* C++'s bool and std::complex have C's sizes on the platforms Ferry
     * supports (GCC and Clang on Linux). */
    BASIC(MPI_CXX_BOOL, _Bool),
    BASIC(MPI_CXX_FLOAT_COMPLEX, float _Complex),
    BASIC(MPI_CXX_DOUBLE_COMPLEX, double _Complex),
    BASIC(MPI_CXX_LONG_DOUBLE_COMPLEX, long double _Complex),
};
#define NPREDEF (sizeof predefs / sizeof predefs[0])

static void dtype_destroy(struct mpi_dtype *t)
{
    free(t->blocks);
    free(t->sig);
    free(t);
}

struct mpi_dtype *dtype_alloc(void)
{
    struct mpi_dtype *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->handle = MPI_DATATYPE_NULL;
    t->refs = 1;
    t->align = 1;
    return t;
}

static struct mpi_dtype *make_predef(const struct predef *p)
{
    struct mpi_dtype *t = dtype_alloc();
    if (!t) return NULL;
    int pair = p->size2 != 0;
    t->blocks = malloc(2 * sizeof *t->blocks);
    t->sig = malloc(2 * sizeof *t->sig);
    if (!t->blocks || !t->sig) {
        dtype_destroy(t);
        return NULL;
    }
    t->handle = p->h;
    t->predefined = t->committed = 1;
    t->size = p->size + p->size2;
    t->lb = t->true_lb = 0;
    t->ub = p->extent;
    t->true_ub = pair ? p->off2 + p->size2 : p->size;
    t->align = p->align;
    t->nbasic = pair ? 2 : 1;
    t->blocks[0] = (struct dt_block){0, p->size};
    t->nblocks = 1;
    if (pair && p->off2 == p->size)
        t->blocks[0].len += p->size2;
    else if (pair)
        t->blocks[t->nblocks++] = (struct dt_block){p->off2, p->size2};
    t->sig[0] = (struct dt_sig){p->size, 1};
    t->nsig = 1;
    if (pair && p->size2 == p->size)
        t->sig[0].count = 2;
    else if (pair)
        t->sig[t->nsig++] = (struct dt_sig){p->size2, 1};
    t->single = t->nblocks == 1;
    t->contig = t->single && t->blocks[0].len == t->ub - t->lb;
    strcpy(t->name, p->name);
    return t;
}

int dtypes_init(void)
{
    htab_init(&mpi_s.dtypes, HK_DTYPE, NPREDEF + 1);
    if (!mpi_s.dtypes.slot) return MPI_ERR_NO_MEM;
    for (size_t i = 0; i < NPREDEF; i++) {
        struct mpi_dtype *t = make_predef(&predefs[i]);
        if (!t) return MPI_ERR_NO_MEM;
        htab_set(&mpi_s.dtypes, H_INDEX(predefs[i].h), t);
    }
    return MPI_SUCCESS;
}

void dtypes_fini(void)
{
    /* Predefined types, and derived ones the program never freed. */
    for (uint32_t i = 1; i < mpi_s.dtypes.n; i++)
        if (mpi_s.dtypes.slot[i]) dtype_destroy(mpi_s.dtypes.slot[i]);
    htab_fini(&mpi_s.dtypes);
}

void dtype_ref(struct mpi_dtype *t)
{
    t->refs++;
}

void dtype_unref(struct mpi_dtype *t)
{
    if (!t->predefined && --t->refs == 0) dtype_destroy(t);
}

int dtype_publish(struct mpi_dtype *t, MPI_Datatype *out)
{
    t->single = t->nblocks == 1;
    t->contig = t->single && t->blocks[0].len == t->ub - t->lb;
    int rc = htab_add(&mpi_s.dtypes, t, &t->handle);
    if (rc) {
        dtype_destroy(t);
        return rc;
    }
    *out = t->handle;
    return MPI_SUCCESS;
}

/* A type handle for a question about the type: committed or not. */
static int any_type(MPI_Datatype h, const char *fn, struct mpi_dtype **out)
{
    *out = NULL;
    MPI_CHECK_INIT(fn);
    struct mpi_dtype *t = dtype_get(h);
    if (!t) {
        if (h == MPI_DATATYPE_NULL) return mpi_err(NULL, MPI_ERR_TYPE, fn, "null datatype");
        return mpi_err(NULL, MPI_ERR_TYPE, fn, "invalid datatype %#x", (unsigned)h);
    }
    *out = t;
    return MPI_SUCCESS;
}

#pragma weak MPI_Type_commit = PMPI_Type_commit
FERRY_API int PMPI_Type_commit(MPI_Datatype *type)
{
    LOCKED();
    static const char *const FN = "MPI_Type_commit";
    struct mpi_dtype *t;
    if (!type) return mpi_err(NULL, MPI_ERR_ARG, FN, "null datatype pointer");
    int rc = any_type(*type, FN, &t);
    if (rc) return rc;
    t->committed = 1;
    return MPI_SUCCESS;
}

#pragma weak MPI_Type_free = PMPI_Type_free
FERRY_API int PMPI_Type_free(MPI_Datatype *type)
{
    LOCKED();
    static const char *const FN = "MPI_Type_free";
    struct mpi_dtype *t;
    if (!type) return mpi_err(NULL, MPI_ERR_ARG, FN, "null datatype pointer");
    int rc = any_type(*type, FN, &t);
    if (rc) return rc;
    if (t->predefined) return mpi_err(NULL, MPI_ERR_TYPE, FN, "cannot free predefined %s", t->name);
    /* Operations still using it hold references. */
    htab_del(&mpi_s.dtypes, t->handle);
    t->handle = MPI_DATATYPE_NULL;
    dtype_unref(t);
    *type = MPI_DATATYPE_NULL;
    return MPI_SUCCESS;
}

#pragma weak MPI_Type_dup = PMPI_Type_dup
FERRY_API int PMPI_Type_dup(MPI_Datatype old, MPI_Datatype *newtype)
{
    LOCKED();
    static const char *const FN = "MPI_Type_dup";
    struct mpi_dtype *t;
    int rc = any_type(old, FN, &t);
    if (rc) return rc;
    if (!newtype) return mpi_err(NULL, MPI_ERR_ARG, FN, "null result pointer");
    struct mpi_dtype *d = dtype_alloc();
    if (d) {
        *d = *t;
        d->refs = 1;
        d->predefined = 0;
        d->name[0] = 0;
        d->blocks = malloc((t->nblocks ? t->nblocks : 1) * sizeof *d->blocks);
        d->sig = malloc((t->nsig ? t->nsig : 1) * sizeof *d->sig);
        if (!d->blocks || !d->sig) {
            dtype_destroy(d);
            d = NULL;
        }
    }
    if (!d) return mpi_err(NULL, MPI_ERR_NO_MEM, FN, "out of memory");
    if (t->nblocks) memcpy(d->blocks, t->blocks, t->nblocks * sizeof *d->blocks);
    if (t->nsig) memcpy(d->sig, t->sig, t->nsig * sizeof *d->sig);
    if ((rc = dtype_publish(d, newtype))) return mpi_err(NULL, rc, FN, "out of memory");
    return MPI_SUCCESS;
}

#pragma weak MPI_Type_size = PMPI_Type_size
FERRY_API int PMPI_Type_size(MPI_Datatype type, int *size)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = any_type(type, "MPI_Type_size", &t);
    if (rc) return rc;
    if (!size) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Type_size", "null result pointer");
    *size = t->size > INT_MAX ? MPI_UNDEFINED : (int)t->size;
    return MPI_SUCCESS;
}

#pragma weak MPI_Type_size_x = PMPI_Type_size_x
FERRY_API int PMPI_Type_size_x(MPI_Datatype type, MPI_Count *size)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = any_type(type, "MPI_Type_size_x", &t);
    if (rc) return rc;
    if (!size) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Type_size_x", "null result pointer");
    *size = t->size;
    return MPI_SUCCESS;
}

#pragma weak MPI_Type_get_extent = PMPI_Type_get_extent
FERRY_API int PMPI_Type_get_extent(MPI_Datatype type, MPI_Aint *lb, MPI_Aint *extent)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = any_type(type, "MPI_Type_get_extent", &t);
    if (rc) return rc;
    if (!lb || !extent)
        return mpi_err(NULL, MPI_ERR_ARG, "MPI_Type_get_extent", "null result pointer");
    *lb = t->lb;
    *extent = dt_extent(t);
    return MPI_SUCCESS;
}

#pragma weak MPI_Type_get_extent_x = PMPI_Type_get_extent_x
FERRY_API int PMPI_Type_get_extent_x(MPI_Datatype type, MPI_Count *lb, MPI_Count *extent)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = any_type(type, "MPI_Type_get_extent_x", &t);
    if (rc) return rc;
    if (!lb || !extent)
        return mpi_err(NULL, MPI_ERR_ARG, "MPI_Type_get_extent_x", "null result pointer");
    *lb = t->lb;
    *extent = dt_extent(t);
    return MPI_SUCCESS;
}

#pragma weak MPI_Type_get_true_extent = PMPI_Type_get_true_extent
FERRY_API int PMPI_Type_get_true_extent(MPI_Datatype type, MPI_Aint *lb, MPI_Aint *extent)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = any_type(type, "MPI_Type_get_true_extent", &t);
    if (rc) return rc;
    if (!lb || !extent)
        return mpi_err(NULL, MPI_ERR_ARG, "MPI_Type_get_true_extent", "null result pointer");
    *lb = t->true_lb;
    *extent = t->true_ub - t->true_lb;
    return MPI_SUCCESS;
}

#pragma weak MPI_Type_get_true_extent_x = PMPI_Type_get_true_extent_x
FERRY_API int PMPI_Type_get_true_extent_x(MPI_Datatype type, MPI_Count *lb, MPI_Count *extent)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = any_type(type, "MPI_Type_get_true_extent_x", &t);
    if (rc) return rc;
    if (!lb || !extent)
        return mpi_err(NULL, MPI_ERR_ARG, "MPI_Type_get_true_extent_x", "null result pointer");
    *lb = t->true_lb;
    *extent = t->true_ub - t->true_lb;
    return MPI_SUCCESS;
}

#pragma weak MPI_Type_set_name = PMPI_Type_set_name
FERRY_API int PMPI_Type_set_name(MPI_Datatype type, const char *name)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = any_type(type, "MPI_Type_set_name", &t);
    if (rc) return rc;
    if (!name) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Type_set_name", "null name");
    strncpy(t->name, name, sizeof t->name - 1);
    t->name[sizeof t->name - 1] = 0;
    return MPI_SUCCESS;
}

#pragma weak MPI_Type_get_name = PMPI_Type_get_name
FERRY_API int PMPI_Type_get_name(MPI_Datatype type, char *name, int *len)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = any_type(type, "MPI_Type_get_name", &t);
    if (rc) return rc;
    if (!name || !len)
        return mpi_err(NULL, MPI_ERR_ARG, "MPI_Type_get_name", "null result pointer");
    strcpy(name, t->name);
    *len = (int)strlen(name);
    return MPI_SUCCESS;
}
