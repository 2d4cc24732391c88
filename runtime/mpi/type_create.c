/* The datatype constructors, each as a list of parts (type_build.c). */
#include <stdlib.h>

#include "runtime/mpi/type_build.h"

static int check_out(MPI_Datatype *out, const char *fn)
{
    if (!out) return mpi_err(NULL, MPI_ERR_ARG, fn, "null result pointer");
    return MPI_SUCCESS;
}

static int check_n(int count, const char *what, const char *fn)
{
    if (count < 0) return mpi_err(NULL, MPI_ERR_COUNT, fn, "invalid %s %d (negative)", what, count);
    return MPI_SUCCESS;
}

static struct part *parts_alloc(int count, const char *fn)
{
    struct part *p = malloc((size_t)(count > 0 ? count : 1) * sizeof *p);
    if (!p) mpi_err(NULL, MPI_ERR_NO_MEM, fn, "out of memory");
    return p;
}

#pragma weak MPI_Type_contiguous = PMPI_Type_contiguous
FERRY_API int PMPI_Type_contiguous(int count, MPI_Datatype old, MPI_Datatype *out)
{
    LOCKED();
    static const char *const FN = "MPI_Type_contiguous";
    struct mpi_dtype *t;
    int rc;
    if ((rc = type_arg(old, FN, &t)) || (rc = check_n(count, "count", FN)) ||
        (rc = check_out(out, FN)))
        return rc;
    struct part p = {0, count, t};
    return type_make(&p, 1, 0, out, FN);
}

/* vector and hvector: count blocks of blocklen, stride apart in bytes. */
static int hvector(int count, int blocklen, MPI_Aint stride, struct mpi_dtype *t, MPI_Datatype *out,
                   const char *fn)
{
    int rc;
    if ((rc = check_n(count, "count", fn)) || (rc = check_n(blocklen, "block length", fn)) ||
        (rc = check_out(out, fn)))
        return rc;
    struct part *p = parts_alloc(count, fn);
    if (!p) return MPI_ERR_NO_MEM;
    for (int i = 0; i < count; i++) p[i] = (struct part){(MPI_Aint)i * stride, blocklen, t};
    rc = type_make(p, (size_t)count, 0, out, fn);
    free(p);
    return rc;
}

#pragma weak MPI_Type_vector = PMPI_Type_vector
FERRY_API int PMPI_Type_vector(int count, int blocklen, int stride, MPI_Datatype old,
                               MPI_Datatype *out)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = type_arg(old, "MPI_Type_vector", &t);
    if (rc) return rc;
    return hvector(count, blocklen, (MPI_Aint)stride * dt_extent(t), t, out, "MPI_Type_vector");
}

#pragma weak MPI_Type_create_hvector = PMPI_Type_create_hvector
FERRY_API int PMPI_Type_create_hvector(int count, int blocklen, MPI_Aint stride, MPI_Datatype old,
                                       MPI_Datatype *out)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = type_arg(old, "MPI_Type_create_hvector", &t);
    if (rc) return rc;
    return hvector(count, blocklen, stride, t, out, "MPI_Type_create_hvector");
}

/* indexed family: per-block lengths (or one length) and displacements in
 * elements (scale = extent) or bytes (scale = 1). */
static int indexed(int count, const int *lens, int len, const int *idisps, const MPI_Aint *bdisps,
                   struct mpi_dtype *t, MPI_Datatype *out, const char *fn)
{
    int rc;
    if ((rc = check_n(count, "count", fn)) || (rc = check_out(out, fn))) return rc;
    if (count && ((!lens && len < 0) || (!idisps && !bdisps)))
        return mpi_err(NULL, MPI_ERR_ARG, fn, "null array");
    struct part *p = parts_alloc(count, fn);
    if (!p) return MPI_ERR_NO_MEM;
    for (int i = 0; i < count; i++) {
        int n = lens ? lens[i] : len;
        if (n < 0) {
            free(p);
            return mpi_err(NULL, MPI_ERR_ARG, fn, "invalid block length %d at %d", n, i);
        }
        MPI_Aint d = idisps ? (MPI_Aint)idisps[i] * dt_extent(t) : bdisps[i];
        p[i] = (struct part){d, n, t};
    }
    rc = type_make(p, (size_t)count, 0, out, fn);
    free(p);
    return rc;
}

#pragma weak MPI_Type_indexed = PMPI_Type_indexed
FERRY_API int PMPI_Type_indexed(int count, const int lens[], const int disps[], MPI_Datatype old,
                                MPI_Datatype *out)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = type_arg(old, "MPI_Type_indexed", &t);
    if (rc) return rc;
    if (count > 0 && !lens) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Type_indexed", "null array");
    return indexed(count, lens, -1, disps, NULL, t, out, "MPI_Type_indexed");
}

#pragma weak MPI_Type_create_hindexed = PMPI_Type_create_hindexed
FERRY_API int PMPI_Type_create_hindexed(int count, const int lens[], const MPI_Aint disps[],
                                        MPI_Datatype old, MPI_Datatype *out)
{
    LOCKED();
    static const char *const FN = "MPI_Type_create_hindexed";
    struct mpi_dtype *t;
    int rc = type_arg(old, FN, &t);
    if (rc) return rc;
    if (count > 0 && (!lens || !disps)) return mpi_err(NULL, MPI_ERR_ARG, FN, "null array");
    return indexed(count, lens, -1, NULL, disps, t, out, FN);
}

#pragma weak MPI_Type_create_indexed_block = PMPI_Type_create_indexed_block
FERRY_API int PMPI_Type_create_indexed_block(int count, int len, const int disps[],
                                             MPI_Datatype old, MPI_Datatype *out)
{
    LOCKED();
    static const char *const FN = "MPI_Type_create_indexed_block";
    struct mpi_dtype *t;
    int rc = type_arg(old, FN, &t);
    if (rc || (rc = check_n(len, "block length", FN))) return rc;
    if (count > 0 && !disps) return mpi_err(NULL, MPI_ERR_ARG, FN, "null array");
    return indexed(count, NULL, len, disps, NULL, t, out, FN);
}

#pragma weak MPI_Type_create_hindexed_block = PMPI_Type_create_hindexed_block
FERRY_API int PMPI_Type_create_hindexed_block(int count, int len, const MPI_Aint disps[],
                                              MPI_Datatype old, MPI_Datatype *out)
{
    LOCKED();
    static const char *const FN = "MPI_Type_create_hindexed_block";
    struct mpi_dtype *t;
    int rc = type_arg(old, FN, &t);
    if (rc || (rc = check_n(len, "block length", FN))) return rc;
    if (count > 0 && !disps) return mpi_err(NULL, MPI_ERR_ARG, FN, "null array");
    return indexed(count, NULL, len, NULL, disps, t, out, FN);
}

#pragma weak MPI_Type_create_struct = PMPI_Type_create_struct
FERRY_API int PMPI_Type_create_struct(int count, const int lens[], const MPI_Aint disps[],
                                      const MPI_Datatype types[], MPI_Datatype *out)
{
    LOCKED();
    static const char *const FN = "MPI_Type_create_struct";
    MPI_CHECK_INIT(FN);
    int rc;
    if ((rc = check_n(count, "count", FN)) || (rc = check_out(out, FN))) return rc;
    if (count > 0 && (!lens || !disps || !types))
        return mpi_err(NULL, MPI_ERR_ARG, FN, "null array");
    struct part *p = parts_alloc(count, FN);
    if (!p) return MPI_ERR_NO_MEM;
    for (int i = 0; i < count; i++) {
        struct mpi_dtype *t;
        if ((rc = type_arg(types[i], FN, &t))) {
            free(p);
            return rc;
        }
        if (lens[i] < 0) {
            free(p);
            return mpi_err(NULL, MPI_ERR_ARG, FN, "invalid block length %d at %d", lens[i], i);
        }
        p[i] = (struct part){disps[i], lens[i], t};
    }
    rc = type_make(p, (size_t)count, 1, out, FN);
    free(p);
    return rc;
}

#pragma weak MPI_Type_create_resized = PMPI_Type_create_resized
FERRY_API int PMPI_Type_create_resized(MPI_Datatype old, MPI_Aint lb, MPI_Aint extent,
                                       MPI_Datatype *out)
{
    LOCKED();
    static const char *const FN = "MPI_Type_create_resized";
    struct mpi_dtype *t;
    int rc = type_arg(old, FN, &t);
    if (rc || (rc = check_out(out, FN))) return rc;
    struct mpi_dtype *d = dtype_alloc();
    struct part p = {0, 1, t};
    if (!d) return mpi_err(NULL, MPI_ERR_NO_MEM, FN, "out of memory");
    if ((rc = type_build(d, &p, 1, 0))) {
        dtype_unref(d);
        return mpi_err(NULL, rc, FN, "out of memory");
    }
    d->lb = lb;
    d->ub = lb + extent;
    d->align = t->align;
    if ((rc = dtype_publish(d, out))) return mpi_err(NULL, rc, FN, "out of memory");
    return MPI_SUCCESS;
}
