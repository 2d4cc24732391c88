/* Reduction operations: the predefined ones (a kernel per type they apply
 * to) and user functions. Collectives keep their data packed (elements of
 * t->size bytes, back to back), so every kernel works on packed elements. */
#ifndef FERRY_MPI_OP_H
#define FERRY_MPI_OP_H

#include "runtime/mpi/mpi_impl.h"

struct mpi_op {
    MPI_Op handle;
    int refs;
    int predefined; /* index of the predefined op (1..), or 0 for a user op */
    int commute;
    MPI_User_function *fn;
};

struct mpi_op *op_lookup(MPI_Op h);
void op_ref(struct mpi_op *o);
void op_unref(struct mpi_op *o);

/* Whether o applies to t: MPI_SUCCESS, or MPI_ERR_OP with a reason in why.
 * REPLACE and NO_OP are refused unless allow_rma. */
int op_check(const struct mpi_op *o, const struct mpi_dtype *t, int allow_rma, const char **why);
/* inout[i] = in[i] o inout[i] over count packed elements of t. in and inout
 * must not overlap. Returns an MPI error class (out of memory only). */
int op_apply(const struct mpi_op *o, struct mpi_dtype *t, const void *in, void *inout,
             size_t count);
/* "MPI_SUM", or "user operation": for error messages. */
const char *op_name(const struct mpi_op *o);

#endif
