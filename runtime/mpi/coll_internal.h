/* The few collectives the MPI layer needs for itself (context ids, split),
 * over point-to-point on a communicator's collective context (ctx | 1).
 * Their tags: the operation's sequence number on the communicator in bits
 * 12-31 (taken when the operation starts, so in the same order on every
 * member), a round within it in bits 8-11 (for operations made of several
 * allreduces), the step in bits 0-7: operations in flight never mix. */
#ifndef FERRY_MPI_COLL_INTERNAL_H
#define FERRY_MPI_COLL_INTERNAL_H

#include "runtime/mpi/mpi_impl.h"

enum nba_op { NBA_MAX, NBA_MIN };
#define NBA_MAXN 2

/* A nonblocking allreduce of up to NBA_MAXN int64 values: recursive
 * doubling, with the ranks beyond the largest power of two folded in
 * first. */
struct nb_allreduce {
    struct mpi_comm *c;
    uint32_t seq, round;
    int op, n;
    int64_t val[NBA_MAXN], tmp[NBA_MAXN];
    int state, mask, newrank, pof2, rem;
    struct ferry_request *sr, *rr;
    int done, error; /* error: an MPI class */
};

/* Operation seq (from coll_seq_next), round within it. */
void nba_start(struct nb_allreduce *a, struct mpi_comm *c, uint32_t seq, uint32_t round,
               const int64_t *in, int n, int op);
/* Advance; nonzero once done (result in a->val, or a->error). */
int nba_poll(struct nb_allreduce *a);

static inline uint32_t coll_seq_next(struct mpi_comm *c)
{
    return c->coll_seq++;
}

/* Blocking: every member's n ints, in rank order, into all[size * n]. */
int coll_allgather_int(struct mpi_comm *c, const int *mine, int n, int *all);
int coll_barrier(struct mpi_comm *c);

#endif
