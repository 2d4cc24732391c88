/* Which algorithm a collective runs: chosen by message size and the
 * communicator's size and layout, or forced with FERRY_COLL_<NAME>=<alg>
 * (for tests and tuning). Every member makes the same choice from the same
 * arguments, so they all build matching schedules. */
#ifndef FERRY_MPI_COLL_SELECT_H
#define FERRY_MPI_COLL_SELECT_H

#include "runtime/mpi/coll_sched.h"

enum coll_kind {
    CK_BARRIER,
    CK_BCAST,
    CK_REDUCE,
    CK_ALLREDUCE,
    CK_GATHER,
    CK_SCATTER,
    CK_ALLGATHER,
    CK_ALLTOALL,
    CK_REDUCE_SCATTER,
    CK_SCAN,
    CK_N
};

/* The algorithm FERRY_COLL_<NAME> forces for kind k, as an index into the
 * kind's names (coll_select.c), or -1. An unknown name is reported once on
 * stderr, with the valid ones, and ignored. */
int coll_forced(enum coll_kind k);

/* The node layout of a communicator: this rank's node's members and the
 * lowest member of every node, both in comm-rank order. */
struct coll_nodes {
    int *local, nlocal, me_local;
    int *leaders, nleaders, me_leader; /* me_leader: -1 unless this rank leads */
    int my_leader;                     /* comm rank of this node's leader */
    int *nodeix;                       /* [comm size]: each member's node, by leader index */
};
/* Fill n (arrays in s's scratch); 0, or -1 when out of memory. */
int coll_nodes(struct coll_sched *s, struct coll_nodes *n);
/* Whether c spans several nodes with several members on some node: where
 * node-aware algorithms pay. */
int coll_multinode(struct mpi_comm *c);
/* Whether the whole job is on this node with 4 or more ranks per core:
 * there every round of an algorithm costs each rank a wake-up, and the
 * flat algorithms (everyone to rank 0 and back) pay. */
int coll_crowded_node(void);

#endif
