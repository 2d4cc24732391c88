/* MPI_Type_create_subarray: one part per row of the innermost dimension;
 * the type spans the whole array (lb 0, extent the array's). */
#include <stdlib.h>

#include "runtime/mpi/type_build.h"

#pragma weak MPI_Type_create_subarray = PMPI_Type_create_subarray
FERRY_API int PMPI_Type_create_subarray(int ndims, const int sizes[], const int subsizes[],
                                        const int starts[], int order, MPI_Datatype old,
                                        MPI_Datatype *out)
{
    LOCKED();
    static const char *const FN = "MPI_Type_create_subarray";
    struct mpi_dtype *t;
    int rc = type_arg(old, FN, &t);
    if (rc) return rc;
    if (!out) return mpi_err(NULL, MPI_ERR_ARG, FN, "null result pointer");
    if (ndims <= 0) return mpi_err(NULL, MPI_ERR_DIMS, FN, "invalid ndims %d", ndims);
    if (!sizes || !subsizes || !starts) return mpi_err(NULL, MPI_ERR_ARG, FN, "null array");
    if (order != MPI_ORDER_C && order != MPI_ORDER_FORTRAN)
        return mpi_err(NULL, MPI_ERR_ARG, FN, "invalid order %d", order);
    for (int d = 0; d < ndims; d++) {
        if (sizes[d] <= 0 || subsizes[d] <= 0 || subsizes[d] > sizes[d] || starts[d] < 0 ||
            starts[d] > sizes[d] - subsizes[d])
            return mpi_err(NULL, MPI_ERR_ARG, FN,
                           "dimension %d: size %d, subsize %d, start %d do not fit", d, sizes[d],
                           subsizes[d], starts[d]);
    }
    /* dims[0] varies slowest: C order as given, Fortran order reversed. */
    int *sz = malloc(3 * (size_t)ndims * sizeof *sz);
    if (!sz) return mpi_err(NULL, MPI_ERR_NO_MEM, FN, "out of memory");
    int *sub = sz + ndims, *st = sub + ndims;
    for (int d = 0; d < ndims; d++) {
        int s = order == MPI_ORDER_C ? d : ndims - 1 - d;
        sz[d] = sizes[s];
        sub[d] = subsizes[s];
        st[d] = starts[s];
    }
    MPI_Aint ext = dt_extent(t);
    size_t rows = 1;
    for (int d = 0; d < ndims - 1; d++) rows *= (size_t)sub[d];
    struct part *p = malloc(rows * sizeof *p);
    /* idx: the current row's index in each outer dimension. */
    int *idx = calloc((size_t)ndims, sizeof *idx);
    if (!p || !idx) {
        free(sz);
        free(p);
        free(idx);
        return mpi_err(NULL, MPI_ERR_NO_MEM, FN, "out of memory");
    }
    for (size_t r = 0; r < rows; r++) {
        MPI_Aint off = 0;
        for (int d = 0; d < ndims; d++) off = off * sz[d] + st[d] + idx[d];
        p[r] = (struct part){off * ext, sub[ndims - 1], t};
        for (int d = ndims - 2; d >= 0; d--) {
            if (++idx[d] < sub[d]) break;
            idx[d] = 0;
        }
    }
    MPI_Aint whole = ext;
    for (int d = 0; d < ndims; d++) whole *= sz[d];
    free(sz);
    free(idx);
    struct mpi_dtype *dt = dtype_alloc();
    if (!dt) {
        free(p);
        return mpi_err(NULL, MPI_ERR_NO_MEM, FN, "out of memory");
    }
    rc = type_build(dt, p, rows, 0);
    free(p);
    if (rc) {
        dtype_unref(dt);
        return mpi_err(NULL, rc, FN, "out of memory");
    }
    dt->lb = 0;
    dt->ub = whole;
    if ((rc = dtype_publish(dt, out))) return mpi_err(NULL, rc, FN, "out of memory");
    return MPI_SUCCESS;
}
