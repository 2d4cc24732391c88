/* The failures of the checks in check.h, raised on the communicator with
 * a message naming the function and the argument. */
#include "runtime/mpi/mpi_impl.h"

int check_fail_comm(MPI_Comm h, const char *fn)
{
    if (h == MPI_COMM_NULL) return mpi_err(NULL, MPI_ERR_COMM, fn, "null communicator");
    return mpi_err(NULL, MPI_ERR_COMM, fn, "invalid communicator %#x", (unsigned)h);
}

int check_fail_dtype(struct mpi_comm *c, MPI_Datatype h, const char *fn)
{
    if (h == MPI_DATATYPE_NULL) return mpi_err(c, MPI_ERR_TYPE, fn, "null datatype");
    if (dtype_get(h))
        return mpi_err(c, MPI_ERR_TYPE, fn, "datatype %#x is not committed", (unsigned)h);
    return mpi_err(c, MPI_ERR_TYPE, fn, "invalid datatype %#x", (unsigned)h);
}

int check_fail_count(struct mpi_comm *c, int count, const char *fn)
{
    return mpi_err(c, MPI_ERR_COUNT, fn, "invalid count %d (negative)", count);
}

int check_fail_buf(struct mpi_comm *c, const void *buf, int count, const char *fn)
{
    if (buf == MPI_IN_PLACE)
        return mpi_err(c, MPI_ERR_BUFFER, fn, "MPI_IN_PLACE is not a point-to-point buffer");
    return mpi_err(c, MPI_ERR_BUFFER, fn, "null buffer for %d elements", count);
}

int check_fail_rank(struct mpi_comm *c, int rank, const char *what, const char *fn)
{
    return mpi_err(c, MPI_ERR_RANK, fn, "invalid %s %d (communicator size %d)", what, rank,
                   c->size);
}

int check_fail_tag(struct mpi_comm *c, int tag, int any, const char *fn)
{
    return mpi_err(c, MPI_ERR_TAG, fn, "invalid tag %d (0 to %d%s)", tag, MPI_TAG_MAX,
                   any ? ", or MPI_ANY_TAG" : "");
}
