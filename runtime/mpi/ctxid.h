/* Agreeing on a new communicator's context id among a parent's members. */
#ifndef FERRY_MPI_CTXID_H
#define FERRY_MPI_CTXID_H

#include "runtime/mpi/coll_internal.h"

struct ctx_agree {
    struct mpi_comm *parent; /* referenced while agreeing */
    struct nb_allreduce ar;
    uint32_t seq; /* the operation's, on the parent */
    uint32_t round;
    int phase;
    uint32_t k;   /* the candidate: contexts 2k (point-to-point), 2k+1 */
    int reserved; /* this process holds k */
    int done, error;
    uint32_t ctx; /* the result: the point-to-point context */
};

void ctx_agree_start(struct ctx_agree *a, struct mpi_comm *parent);
/* Advance; nonzero once done. On success the context is reserved here:
 * it belongs to the new communicator, or is given back with
 * ctxid_release by a process that is not a member. */
int ctx_agree_poll(struct ctx_agree *a);
/* Blocking: start, then wait. Returns an MPI class. */
int ctx_agree(struct mpi_comm *parent, uint32_t *ctx);

#endif
