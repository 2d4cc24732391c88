/* Argument validation shared by the calls. The checks are inline, so the
 * common case costs a few compares; each failure is raised out of line
 * (check.c) with a message naming the function and the argument. Part of
 * mpi_impl.h, included through it only. */
#ifndef FERRY_MPI_CHECK_H
#define FERRY_MPI_CHECK_H

#define COLD __attribute__((cold, noinline))

COLD int check_fail_comm(MPI_Comm h, const char *fn);
COLD int check_fail_dtype(struct mpi_comm *c, MPI_Datatype h, const char *fn);
COLD int check_fail_count(struct mpi_comm *c, int count, const char *fn);
COLD int check_fail_buf(struct mpi_comm *c, const void *buf, int count, const char *fn);
COLD int check_fail_rank(struct mpi_comm *c, int rank, const char *what, const char *fn);
COLD int check_fail_tag(struct mpi_comm *c, int tag, int any, const char *fn);

#define UNLIKELY(x) __builtin_expect(!!(x), 0)

static inline int check_comm(MPI_Comm h, const char *fn, struct mpi_comm **out)
{
    MPI_CHECK_INIT(fn);
    struct mpi_comm *c = comm_get(h);
    *out = c;
    return UNLIKELY(!c) ? check_fail_comm(h, fn) : MPI_SUCCESS;
}

static inline int check_dtype(struct mpi_comm *c, MPI_Datatype h, const char *fn,
                              struct mpi_dtype **out)
{
    struct mpi_dtype *t = dtype_get(h);
    *out = t;
    return UNLIKELY(!t || !t->committed) ? check_fail_dtype(c, h, fn) : MPI_SUCCESS;
}

static inline int check_count(struct mpi_comm *c, int count, const char *fn)
{
    return UNLIKELY(count < 0) ? check_fail_count(c, count, fn) : MPI_SUCCESS;
}

/* A null buffer is MPI_BOTTOM, meaningful only with a derived type of
 * absolute addresses. */
static inline int check_buf(struct mpi_comm *c, const void *buf, int count,
                            const struct mpi_dtype *t, const char *fn)
{
    if (UNLIKELY((!buf && count > 0 && t->size > 0 && t->predefined) || buf == MPI_IN_PLACE))
        return check_fail_buf(c, buf, count, fn);
    return MPI_SUCCESS;
}

static inline int check_dest(struct mpi_comm *c, int dest, const char *fn)
{
    if (UNLIKELY((unsigned)dest >= (unsigned)c->size) && dest != MPI_PROC_NULL)
        return check_fail_rank(c, dest, "rank", fn);
    return MPI_SUCCESS;
}

static inline int check_source(struct mpi_comm *c, int source, const char *fn)
{
    if (UNLIKELY((unsigned)source >= (unsigned)c->size) && source != MPI_PROC_NULL &&
        source != MPI_ANY_SOURCE)
        return check_fail_rank(c, source, "source rank", fn);
    return MPI_SUCCESS;
}

static inline int check_send_tag(struct mpi_comm *c, int tag, const char *fn)
{
    return UNLIKELY(tag < 0) ? check_fail_tag(c, tag, 0, fn) : MPI_SUCCESS;
}

static inline int check_recv_tag(struct mpi_comm *c, int tag, const char *fn)
{
    return UNLIKELY(tag < 0 && tag != MPI_ANY_TAG) ? check_fail_tag(c, tag, 1, fn) : MPI_SUCCESS;
}

/* All argument checks of a send or a receive. */
static inline int check_send(MPI_Comm comm, const void *buf, int count, MPI_Datatype type, int dest,
                             int tag, const char *fn, struct mpi_comm **c, struct mpi_dtype **t)
{
    int rc;
    if ((rc = check_comm(comm, fn, c)) || (rc = check_count(*c, count, fn)) ||
        (rc = check_dtype(*c, type, fn, t)) || (rc = check_buf(*c, buf, count, *t, fn)) ||
        (rc = check_dest(*c, dest, fn)) || (rc = check_send_tag(*c, tag, fn)))
        return rc;
    return MPI_SUCCESS;
}

static inline int check_recv(MPI_Comm comm, void *buf, int count, MPI_Datatype type, int source,
                             int tag, const char *fn, struct mpi_comm **c, struct mpi_dtype **t)
{
    int rc;
    if ((rc = check_comm(comm, fn, c)) || (rc = check_count(*c, count, fn)) ||
        (rc = check_dtype(*c, type, fn, t)) || (rc = check_buf(*c, buf, count, *t, fn)) ||
        (rc = check_source(*c, source, fn)) || (rc = check_recv_tag(*c, tag, fn)))
        return rc;
    return MPI_SUCCESS;
}

#endif
