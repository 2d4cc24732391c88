/* Argument validation shared by the calls: each check raises the error on
 * the communicator with a message naming the function and the argument. */
#include "runtime/mpi/mpi_impl.h"

int check_comm(MPI_Comm h, const char *fn, struct mpi_comm **out)
{
    *out = NULL;
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c = comm_get(h);
    if (__builtin_expect(!c, 0)) {
        if (h == MPI_COMM_NULL) return mpi_err(NULL, MPI_ERR_COMM, fn, "null communicator");
        return mpi_err(NULL, MPI_ERR_COMM, fn, "invalid communicator %#x", (unsigned)h);
    }
    *out = c;
    return MPI_SUCCESS;
}

int check_dtype(struct mpi_comm *c, MPI_Datatype h, const char *fn, struct mpi_dtype **out)
{
    *out = NULL;
    struct mpi_dtype *t = dtype_get(h);
    if (__builtin_expect(!t, 0)) {
        if (h == MPI_DATATYPE_NULL) return mpi_err(c, MPI_ERR_TYPE, fn, "null datatype");
        return mpi_err(c, MPI_ERR_TYPE, fn, "invalid datatype %#x", (unsigned)h);
    }
    if (__builtin_expect(!t->committed, 0))
        return mpi_err(c, MPI_ERR_TYPE, fn, "datatype %#x is not committed", (unsigned)h);
    *out = t;
    return MPI_SUCCESS;
}

int check_count(struct mpi_comm *c, int count, const char *fn)
{
    if (__builtin_expect(count < 0, 0))
        return mpi_err(c, MPI_ERR_COUNT, fn, "invalid count %d (negative)", count);
    return MPI_SUCCESS;
}

int check_buf(struct mpi_comm *c, const void *buf, int count, const struct mpi_dtype *t,
              const char *fn)
{
    /* A null buffer is MPI_BOTTOM, meaningful only with a derived type of
     * absolute addresses. */
    if (__builtin_expect(!buf && count > 0 && t->size > 0 && t->predefined, 0))
        return mpi_err(c, MPI_ERR_BUFFER, fn, "null buffer for %d elements", count);
    if (__builtin_expect(buf == MPI_IN_PLACE, 0))
        return mpi_err(c, MPI_ERR_BUFFER, fn, "MPI_IN_PLACE is not a point-to-point buffer");
    return MPI_SUCCESS;
}

int check_dest(struct mpi_comm *c, int dest, const char *fn)
{
    if (__builtin_expect(dest < 0 || dest >= c->size, 0) && dest != MPI_PROC_NULL)
        return mpi_err(c, MPI_ERR_RANK, fn, "invalid rank %d (communicator size %d)", dest,
                       c->size);
    return MPI_SUCCESS;
}

int check_source(struct mpi_comm *c, int source, const char *fn)
{
    if (__builtin_expect(source < 0 || source >= c->size, 0) && source != MPI_PROC_NULL &&
        source != MPI_ANY_SOURCE)
        return mpi_err(c, MPI_ERR_RANK, fn, "invalid source rank %d (communicator size %d)", source,
                       c->size);
    return MPI_SUCCESS;
}

int check_send_tag(struct mpi_comm *c, int tag, const char *fn)
{
    if (__builtin_expect(tag < 0, 0))
        return mpi_err(c, MPI_ERR_TAG, fn, "invalid tag %d (0 to %d)", tag, MPI_TAG_MAX);
    return MPI_SUCCESS;
}

int check_recv_tag(struct mpi_comm *c, int tag, const char *fn)
{
    if (__builtin_expect(tag < 0, 0) && tag != MPI_ANY_TAG)
        return mpi_err(c, MPI_ERR_TAG, fn, "invalid tag %d (0 to %d, or MPI_ANY_TAG)", tag,
                       MPI_TAG_MAX);
    return MPI_SUCCESS;
}

int check_send(MPI_Comm comm, const void *buf, int count, MPI_Datatype type, int dest, int tag,
               const char *fn, struct mpi_comm **c, struct mpi_dtype **t)
{
    int rc;
    if ((rc = check_comm(comm, fn, c)) || (rc = check_count(*c, count, fn)) ||
        (rc = check_dtype(*c, type, fn, t)) || (rc = check_buf(*c, buf, count, *t, fn)) ||
        (rc = check_dest(*c, dest, fn)) || (rc = check_send_tag(*c, tag, fn)))
        return rc;
    return MPI_SUCCESS;
}

int check_recv(MPI_Comm comm, void *buf, int count, MPI_Datatype type, int source, int tag,
               const char *fn, struct mpi_comm **c, struct mpi_dtype **t)
{
    int rc;
    if ((rc = check_comm(comm, fn, c)) || (rc = check_count(*c, count, fn)) ||
        (rc = check_dtype(*c, type, fn, t)) || (rc = check_buf(*c, buf, count, *t, fn)) ||
        (rc = check_source(*c, source, fn)) || (rc = check_recv_tag(*c, tag, fn)))
        return rc;
    return MPI_SUCCESS;
}
