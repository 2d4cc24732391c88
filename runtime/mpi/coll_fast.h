/* Short blocking collectives without a schedule: the same algorithms, the
 * same messages in the same order with the same tags as the schedule
 * path's, posted straight on the collective context, scratch on the
 * stack. Building a schedule (an allocation, the step and round arrays,
 * polling it from the background hook) costs more than the exchange
 * itself when the peers are on idle cores.
 *
 * Each function returns an MPI class (the caller raises it on the
 * communicator). The callers decide when the fast path serves: blocking
 * call, contiguous buffers, a size the stack holds, and the algorithm the
 * schedule path would run. */
#ifndef FERRY_MPI_COLL_FAST_H
#define FERRY_MPI_COLL_FAST_H

#include "runtime/mpi/coll.h"

/* The largest buffer (bytes) a fast collective keeps on the stack. */
#define CF_MAX_BYTES 8192

int cf_barrier_dissemination(struct mpi_comm *c);
/* Everyone checks in with comm rank 0 and waits for its word (the
 * node-aware barrier of a communicator that lies on one node). */
int cf_barrier_flat(struct mpi_comm *c);
int cf_bcast_binomial(struct mpi_comm *c, int root, void *buf, size_t len);
/* Recursive doubling in place in buf (count elements of t). */
int cf_allreduce_rd(struct mpi_comm *c, struct mpi_op *o, struct mpi_dtype *t, void *buf,
                    size_t count);
/* Every member's buf to rank 0, combined there in rank order, the result
 * back to all (one node, many ranks per core: two wake-ups per rank). */
int cf_allreduce_flat(struct mpi_comm *c, struct mpi_op *o, struct mpi_dtype *t, void *buf,
                      size_t count);
/* Binomial reduce of mine into out (written at root only). */
int cf_reduce_binomial(struct mpi_comm *c, struct mpi_op *o, struct mpi_dtype *t, int root,
                       const void *mine, void *out, size_t count);
/* Every block at once (blk bytes for each member, in rank order). */
int cf_alltoall_linear(struct mpi_comm *c, const char *in, char *out, size_t blk);
/* Allgather of blk bytes a member into out, this member's block taken from
 * mine (which may be its place in out): recursive doubling (p a power of
 * two) or Bruck. */
int cf_allgather(struct mpi_comm *c, char *out, const void *mine, size_t blk, int bruck);

/* Raise a fast collective's class on c as the schedule path does. */
int cf_raise(struct mpi_comm *c, int rc, const char *fn);

#endif
