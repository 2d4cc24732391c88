/* The failures of the collectives' argument checks (coll.h). */
#include "runtime/mpi/coll.h"

int coll_fail_root(struct mpi_comm *c, int root, const char *fn)
{
    return mpi_err(c, MPI_ERR_ROOT, fn, "invalid root %d (communicator size %d)", root, c->size);
}

int coll_fail_buf(struct mpi_comm *c, const void *buf, const char *what, const char *fn)
{
    if (buf == MPI_IN_PLACE)
        return mpi_err(c, MPI_ERR_BUFFER, fn, "MPI_IN_PLACE is not allowed as the %s buffer here",
                       what);
    if (buf)
        return mpi_err(c, MPI_ERR_BUFFER, fn,
                       "the send and receive buffers are the same memory (use MPI_IN_PLACE)");
    return mpi_err(c, MPI_ERR_BUFFER, fn, "null %s buffer", what);
}

int coll_fail_op(struct mpi_comm *c, MPI_Op op, const struct mpi_op *o, const struct mpi_dtype *t,
                 const char *fn)
{
    if (!o) {
        if (op == MPI_OP_NULL) return mpi_err(c, MPI_ERR_OP, fn, "null operation");
        return mpi_err(c, MPI_ERR_OP, fn, "invalid operation %#x", (unsigned)op);
    }
    const char *why = "";
    op_check(o, t, 0, &why);
    return mpi_err(c, MPI_ERR_OP, fn, "%s %s (%s)", op_name(o), why, t->name);
}

int coll_check_counts(struct mpi_comm *c, int n, const int *counts, const int *displs,
                      const char *what, const char *fn)
{
    if (!counts) return mpi_err(c, MPI_ERR_ARG, fn, "null %s counts array", what);
    if (!displs) return mpi_err(c, MPI_ERR_ARG, fn, "null %s displacements array", what);
    for (int i = 0; i < n; i++)
        if (counts[i] < 0)
            return mpi_err(c, MPI_ERR_COUNT, fn, "invalid %s count %d for rank %d (negative)", what,
                           counts[i], i);
    return MPI_SUCCESS;
}

int coll_check_reduction(MPI_Comm comm, const void *sbuf, const void *rbuf, int count,
                         MPI_Datatype type, MPI_Op op, MPI_Request *req, const char *fn,
                         struct mpi_comm **cp, struct mpi_dtype **tp, struct mpi_op **op_out)
{
    struct mpi_comm *c;
    struct mpi_dtype *t;
    int rc;
    if ((rc = check_comm(comm, fn, &c)) || (rc = check_count(c, count, fn)) ||
        (rc = check_dtype(c, type, fn, &t)) || (rc = coll_check_op(c, op, t, fn, op_out)) ||
        (rc = coll_check_buf(c, sbuf, (size_t)count, t, 1, "send", fn)) ||
        (rc = coll_check_buf(c, rbuf, (size_t)count, t, 0, "receive", fn)) ||
        (rc = coll_check_alias(c, sbuf, rbuf, (size_t)count * (size_t)t->size, fn)) ||
        (req && (rc = coll_check_req(c, req, fn))))
        return rc;
    *cp = c;
    *tp = t;
    return MPI_SUCCESS;
}

int coll_check_req(struct mpi_comm *c, MPI_Request *req, const char *fn)
{
    return req ? MPI_SUCCESS : mpi_err(c, MPI_ERR_ARG, fn, "null request pointer");
}

int coll_null_req(MPI_Comm comm, const char *fn)
{
    struct mpi_comm *c;
    int rc = check_comm(comm, fn, &c);
    return rc ? rc : mpi_err(c, MPI_ERR_ARG, fn, "null request pointer");
}
