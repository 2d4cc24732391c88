/* MPI_Op objects: the predefined operations at fixed handles, user
 * operations in a handle table; applying an operation to packed data;
 * MPI_Reduce_local. */
#include <stdlib.h>
#include <string.h>

#include "runtime/mpi/op.h"
#include "runtime/mpi/op_kernels.h"
#include "runtime/progress/lock.h"

static struct htab ops;
static int ops_ready;

#define PREDEF(k)                                                                                  \
    {                                                                                              \
        H_MAKE(HK_OP, k), 1, k, 1, NULL                                                            \
    }
static struct mpi_op predefs[OPK_N] = {
    [OPK_MAX] = PREDEF(OPK_MAX),         [OPK_MIN] = PREDEF(OPK_MIN),
    [OPK_SUM] = PREDEF(OPK_SUM),         [OPK_PROD] = PREDEF(OPK_PROD),
    [OPK_LAND] = PREDEF(OPK_LAND),       [OPK_BAND] = PREDEF(OPK_BAND),
    [OPK_LOR] = PREDEF(OPK_LOR),         [OPK_BOR] = PREDEF(OPK_BOR),
    [OPK_LXOR] = PREDEF(OPK_LXOR),       [OPK_BXOR] = PREDEF(OPK_BXOR),
    [OPK_MINLOC] = PREDEF(OPK_MINLOC),   [OPK_MAXLOC] = PREDEF(OPK_MAXLOC),
    [OPK_REPLACE] = PREDEF(OPK_REPLACE), [OPK_NO_OP] = PREDEF(OPK_NO_OP),
};

static const char *const op_names[OPK_N] = {
    [OPK_MAX] = "MPI_MAX",         [OPK_MIN] = "MPI_MIN",       [OPK_SUM] = "MPI_SUM",
    [OPK_PROD] = "MPI_PROD",       [OPK_LAND] = "MPI_LAND",     [OPK_BAND] = "MPI_BAND",
    [OPK_LOR] = "MPI_LOR",         [OPK_BOR] = "MPI_BOR",       [OPK_LXOR] = "MPI_LXOR",
    [OPK_BXOR] = "MPI_BXOR",       [OPK_MINLOC] = "MPI_MINLOC", [OPK_MAXLOC] = "MPI_MAXLOC",
    [OPK_REPLACE] = "MPI_REPLACE", [OPK_NO_OP] = "MPI_NO_OP",
};

static int ops_init(void)
{
    if (ops_ready) return MPI_SUCCESS;
    htab_init(&ops, HK_OP, OPK_N);
    if (!ops.slot) return MPI_ERR_NO_MEM;
    for (int k = 1; k < OPK_N; k++) htab_set(&ops, (uint32_t)k, &predefs[k]);
    ops_ready = 1;
    return MPI_SUCCESS;
}

struct mpi_op *op_lookup(MPI_Op h)
{
    if (!H_IS_KIND(h, HK_OP)) return NULL;
    unsigned i = H_INDEX(h);
    if (i > 0 && i < OPK_N) return &predefs[i];
    return ops_ready ? htab_get(&ops, h) : NULL;
}

void op_ref(struct mpi_op *o)
{
    if (!o->predefined) o->refs++;
}

void op_unref(struct mpi_op *o)
{
    if (!o->predefined && --o->refs == 0) free(o);
}

static unsigned type_index(const struct mpi_dtype *t)
{
    return t->predefined ? H_INDEX(t->handle) : 0;
}

int op_check(const struct mpi_op *o, const struct mpi_dtype *t, int allow_rma, const char **why)
{
    if (!o->predefined) return MPI_SUCCESS;
    if (o->predefined == OPK_REPLACE || o->predefined == OPK_NO_OP) {
        if (allow_rma) return MPI_SUCCESS;
        *why = "is for one-sided accumulates and MPI_Reduce_local only";
        return MPI_ERR_OP;
    }
    if (!op_kernel(o->predefined, type_index(t))) {
        *why = t->predefined ? "is not defined on this datatype"
                             : "applies to predefined datatypes only";
        return MPI_ERR_OP;
    }
    return MPI_SUCCESS;
}

const char *op_name(const struct mpi_op *o)
{
    return o->predefined ? op_names[o->predefined] : "user operation";
}

/* A user function sees the user's layout, not packed bytes: a contiguous
 * type's packed run is its layout moved by its first block's offset; any
 * other is unpacked into a scratch layout and packed back. */
static int apply_user(const struct mpi_op *o, struct mpi_dtype *t, const void *in, void *inout,
                      size_t count)
{
    MPI_Datatype h = t->handle;
    MPI_Aint off = t->nblocks ? t->blocks[0].off : 0;
    while (count) {
        int n = count > (size_t)INT32_MAX ? INT32_MAX : (int)count;
        size_t bytes = (size_t)n * (size_t)t->size;
        if (t->contig) {
            o->fn(addr_add(in, -off), addr_add(inout, -off), &n, &h);
        } else {
            MPI_Aint ext = dt_extent(t), span = (MPI_Aint)n * ext + (t->true_ub - t->true_lb);
            char *a = malloc((size_t)span), *b = malloc((size_t)span);
            if (!a || !b) {
                free(a);
                free(b);
                return MPI_ERR_NO_MEM;
            }
            /* Element 0's true lower bound lands at the scratch start. */
            void *la = addr_add(a, -t->true_lb), *lb = addr_add(b, -t->true_lb);
            dt_unpack(t, n, in, (MPI_Count)bytes, la);
            dt_unpack(t, n, inout, (MPI_Count)bytes, lb);
            o->fn(la, lb, &n, &h);
            dt_pack(t, n, lb, inout);
            free(a);
            free(b);
        }
        in = addr_add(in, (MPI_Aint)bytes);
        inout = addr_add(inout, (MPI_Aint)bytes);
        count -= (size_t)n;
    }
    return MPI_SUCCESS;
}

int op_apply(const struct mpi_op *o, struct mpi_dtype *t, const void *in, void *inout, size_t count)
{
    if (!count) return MPI_SUCCESS;
    if (!o->predefined) return apply_user(o, t, in, inout, count);
    if (o->predefined == OPK_NO_OP) return MPI_SUCCESS;
    if (o->predefined == OPK_REPLACE) {
        memmove(inout, in, count * (size_t)t->size);
        return MPI_SUCCESS;
    }
    op_kernel(o->predefined, type_index(t))(in, inout, count);
    return MPI_SUCCESS;
}

#pragma weak MPI_Op_create = PMPI_Op_create
FERRY_API int PMPI_Op_create(MPI_User_function *fn, int commute, MPI_Op *op)
{
    LOCKED();
    static const char *const FN = "MPI_Op_create";
    MPI_CHECK_INIT(FN);
    if (!fn) return mpi_err(NULL, MPI_ERR_ARG, FN, "null user function");
    if (!op) return mpi_err(NULL, MPI_ERR_ARG, FN, "null result pointer");
    if (ops_init()) return mpi_err(NULL, MPI_ERR_NO_MEM, FN, "out of memory");
    struct mpi_op *o = calloc(1, sizeof *o);
    if (!o) return mpi_err(NULL, MPI_ERR_NO_MEM, FN, "out of memory");
    o->refs = 1;
    o->commute = commute != 0;
    o->fn = fn;
    if (htab_add(&ops, o, &o->handle)) {
        free(o);
        return mpi_err(NULL, MPI_ERR_NO_MEM, FN, "out of memory");
    }
    *op = o->handle;
    return MPI_SUCCESS;
}

#pragma weak MPI_Op_free = PMPI_Op_free
FERRY_API int PMPI_Op_free(MPI_Op *op)
{
    LOCKED();
    static const char *const FN = "MPI_Op_free";
    MPI_CHECK_INIT(FN);
    if (!op) return mpi_err(NULL, MPI_ERR_ARG, FN, "null operation pointer");
    struct mpi_op *o = op_lookup(*op);
    if (!o) return mpi_err(NULL, MPI_ERR_OP, FN, "invalid operation %#x", (unsigned)*op);
    if (o->predefined)
        return mpi_err(NULL, MPI_ERR_OP, FN, "cannot free predefined %s", op_name(o));
    htab_del(&ops, o->handle);
    /* A pending nonblocking reduction keeps its own reference. */
    op_unref(o);
    *op = MPI_OP_NULL;
    return MPI_SUCCESS;
}

#pragma weak MPI_Op_commutative = PMPI_Op_commutative
FERRY_API int PMPI_Op_commutative(MPI_Op op, int *commute)
{
    LOCKED();
    static const char *const FN = "MPI_Op_commutative";
    MPI_CHECK_INIT(FN);
    struct mpi_op *o = op_lookup(op);
    if (!o) return mpi_err(NULL, MPI_ERR_OP, FN, "invalid operation %#x", (unsigned)op);
    if (!commute) return mpi_err(NULL, MPI_ERR_ARG, FN, "null result pointer");
    *commute = o->commute;
    return MPI_SUCCESS;
}

#pragma weak MPI_Op_c2f = PMPI_Op_c2f
FERRY_API MPI_Fint PMPI_Op_c2f(MPI_Op op)
{
    return (MPI_Fint)op;
}

#pragma weak MPI_Op_f2c = PMPI_Op_f2c
FERRY_API MPI_Op PMPI_Op_f2c(MPI_Fint op)
{
    return (MPI_Op)op;
}

#pragma weak MPI_Reduce_local = PMPI_Reduce_local
FERRY_API int PMPI_Reduce_local(const void *in, void *inout, int count, MPI_Datatype type,
                                MPI_Op op)
{
    LOCKED();
    static const char *const FN = "MPI_Reduce_local";
    MPI_CHECK_INIT(FN);
    struct mpi_dtype *t;
    int rc;
    if ((rc = check_count(NULL, count, FN)) || (rc = check_dtype(NULL, type, FN, &t))) return rc;
    struct mpi_op *o = op_lookup(op);
    if (!o) return mpi_err(NULL, MPI_ERR_OP, FN, "invalid operation %#x", (unsigned)op);
    const char *why;
    if (op_check(o, t, 1, &why)) return mpi_err(NULL, MPI_ERR_OP, FN, "%s %s", op_name(o), why);
    if (!count || !t->size) return MPI_SUCCESS;
    if (!in || !inout || in == MPI_IN_PLACE || inout == MPI_IN_PLACE)
        return mpi_err(NULL, MPI_ERR_BUFFER, FN, "%s buffer for %d elements",
                       in == MPI_IN_PLACE || inout == MPI_IN_PLACE ? "MPI_IN_PLACE as a" : "null",
                       count);
    /* The same kernels as the collectives: on packed copies unless the
     * type is contiguous. */
    const void *pi, *po;
    if (dt_span(t, count, in, &pi) && dt_span(t, count, inout, &po))
        return op_apply(o, t, pi, (void *)po, (size_t)count)
                   ? mpi_err(NULL, MPI_ERR_NO_MEM, FN, "out of memory")
                   : MPI_SUCCESS;
    size_t len = (size_t)count * (size_t)t->size;
    char *a = malloc(len), *b = malloc(len);
    if (!a || !b) {
        free(a);
        free(b);
        return mpi_err(NULL, MPI_ERR_NO_MEM, FN, "out of memory");
    }
    dt_pack(t, count, in, a);
    dt_pack(t, count, inout, b);
    rc = op_apply(o, t, a, b, (size_t)count);
    if (!rc) dt_unpack(t, count, b, (MPI_Count)len, inout);
    free(a);
    free(b);
    return rc ? mpi_err(NULL, MPI_ERR_NO_MEM, FN, "out of memory") : MPI_SUCCESS;
}
