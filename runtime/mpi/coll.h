/* What the collective families share: argument checks that raise the
 * right class on the communicator, and the algorithms one family borrows
 * from another (a node-aware allreduce is a reduce, an allreduce and a
 * broadcast). Schedules work on packed bytes; reductions on packed
 * elements of the schedule's datatype (cs_set_op). */
#ifndef FERRY_MPI_COLL_H
#define FERRY_MPI_COLL_H

#include "runtime/mpi/coll_select.h"

#define COLL_COLD __attribute__((cold, noinline))

COLL_COLD int coll_fail_root(struct mpi_comm *c, int root, const char *fn);
COLL_COLD int coll_fail_buf(struct mpi_comm *c, const void *buf, const char *what, const char *fn);
COLL_COLD int coll_fail_op(struct mpi_comm *c, MPI_Op op, const struct mpi_op *o,
                           const struct mpi_dtype *t, const char *fn);

static inline int coll_check_root(struct mpi_comm *c, int root, const char *fn)
{
    return UNLIKELY((unsigned)root >= (unsigned)c->size) ? coll_fail_root(c, root, fn) : 0;
}

/* A buffer for count elements of t: not null (unless the type's addresses
 * are absolute), and MPI_IN_PLACE only where in_place_ok. */
static inline int coll_check_buf(struct mpi_comm *c, const void *buf, size_t count,
                                 const struct mpi_dtype *t, int in_place_ok, const char *what,
                                 const char *fn)
{
    if (UNLIKELY(buf == MPI_IN_PLACE && !in_place_ok)) return coll_fail_buf(c, buf, what, fn);
    if (UNLIKELY(!buf && count > 0 && t->size > 0 && t->predefined))
        return coll_fail_buf(c, buf, what, fn);
    return MPI_SUCCESS;
}

/* The send and receive buffers of one rank may not be the same memory
 * (MPI_IN_PLACE says so instead). */
static inline int coll_check_alias(struct mpi_comm *c, const void *sbuf, const void *rbuf,
                                   size_t bytes, const char *fn)
{
    if (UNLIKELY(sbuf == rbuf && sbuf && sbuf != MPI_IN_PLACE && bytes))
        return coll_fail_buf(c, sbuf, "aliased", fn);
    return MPI_SUCCESS;
}

static inline int coll_check_op(struct mpi_comm *c, MPI_Op op, const struct mpi_dtype *t,
                                const char *fn, struct mpi_op **out)
{
    struct mpi_op *o = op_lookup(op);
    const char *why;
    *out = o;
    if (UNLIKELY(!o || op_check(o, t, 0, &why))) return coll_fail_op(c, op, o, t, fn);
    return MPI_SUCCESS;
}

/* The counts of a v-collective (n entries, none negative) and its
 * displacements (callers without any pass the counts again). */
int coll_check_counts(struct mpi_comm *c, int n, const int *counts, const int *displs,
                      const char *what, const char *fn);
int coll_check_req(struct mpi_comm *c, MPI_Request *req, const char *fn);
/* Every argument of a reduction into rbuf on every rank (allreduce, scan,
 * exscan); on success the communicator, datatype and operation. */
int coll_check_reduction(MPI_Comm comm, const void *sbuf, const void *rbuf, int count,
                         MPI_Datatype type, MPI_Op op, MPI_Request *req, const char *fn,
                         struct mpi_comm **c, struct mpi_dtype **t, struct mpi_op **o);
/* A nonblocking collective given no place for its request. */
COLL_COLD int coll_null_req(MPI_Comm comm, const char *fn);

static inline size_t esize(const struct coll_sched *s)
{
    return (size_t)s->rdt->size;
}

/* Elements [lo(i), lo(i+1)) of count split into nb near-equal blocks. */
static inline size_t coll_blk_lo(size_t count, int nb, int i)
{
    size_t q = count / (size_t)nb, r = count % (size_t)nb;
    return q * (size_t)i + ((size_t)i < r ? (size_t)i : r);
}

/* Shared algorithms, over group g (indices are group members). */
void alg_bcast_binomial(struct coll_sched *s, const struct cs_grp *g, int root, void *buf,
                        size_t len);
/* The reduction of every member's count elements (mine) into out at root,
 * in member order; out is written at root only. */
void alg_reduce_binomial(struct coll_sched *s, const struct cs_grp *g, int root, const void *mine,
                         void *out, size_t count);
/* Ring reduce-scatter over the whole communicator, in place in buf (a
 * commutative operation): rank r ends with block (r+1) mod p of p
 * (coll_blk_lo) complete. */
void alg_ring_reduce_scatter(struct coll_sched *s, char *buf, size_t count);
/* Allreduce in place: buf holds this member's elements, then the result. */
void alg_allreduce_rd(struct coll_sched *s, const struct cs_grp *g, void *buf, size_t count);

#endif
