/* MPI_Barrier and MPI_Ibarrier: dissemination (log2(p) rounds of empty
 * messages, any p), or across nodes or with many ranks per core: each
 * node's members check in with their leader, the leaders disseminate, the
 * leaders release their nodes. */
#include "runtime/core/world.h"
#include "runtime/mpi/coll.h"
#include "runtime/mpi/coll_fast.h"
#include "runtime/progress/lock.h"

enum { BA_DISSEMINATION, BA_NODE_AWARE };

static void dissemination(struct coll_sched *s, const struct cs_grp *g)
{
    int n = g->n, r = g->me;
    for (int k = 1; k < n; k *= 2) {
        cs_send(s, grp_rank(g, (r + k) % n), NULL, 0);
        cs_recv(s, grp_rank(g, (r - k + n) % n), NULL, 0);
        cs_round(s);
    }
}

static void node_aware(struct coll_sched *s)
{
    struct coll_nodes nd;
    if (coll_nodes(s, &nd)) return;
    int me = s->c->rank;
    if (me != nd.my_leader) {
        cs_send(s, nd.my_leader, NULL, 0);
        cs_recv(s, nd.my_leader, NULL, 0);
        cs_round(s);
        return;
    }
    for (int i = 1; i < nd.nlocal; i++) cs_recv(s, nd.local[i], NULL, 0);
    cs_round(s);
    struct cs_grp lg = {nd.nleaders, nd.me_leader, nd.leaders};
    dissemination(s, &lg);
    for (int i = 1; i < nd.nlocal; i++) cs_send(s, nd.local[i], NULL, 0);
    cs_round(s);
}

static int barrier(MPI_Comm comm, MPI_Request *req, const char *fn)
{
    struct mpi_comm *c;
    int rc = check_comm(comm, fn, &c);
    if (rc || (req && (rc = coll_check_req(c, req, fn)))) return rc;
    int alg = coll_forced(CK_BARRIER);
    /* With 4 or more ranks per core, a fan-in to each node's leader and a
     * fan-out wakes each rank twice rather than once per round (8 ranks on
     * 2 cores here: 46-76 against 71-146 us; with 2 per core dissemination
     * stays ahead, 10-15 against 23-34 us). */
    int crowded = ferry_w.ncores > 0 && ferry_w.local_size >= 4 * ferry_w.ncores;
    if (alg < 0) alg = coll_multinode(c) || crowded ? BA_NODE_AWARE : BA_DISSEMINATION;
    if (!req && alg == BA_DISSEMINATION) return cf_raise(c, cf_barrier_dissemination(c), fn);
    /* On one node the node-aware barrier is a fan-in to rank 0. */
    if (!req && ferry_w.local_size == ferry_w.size) return cf_raise(c, cf_barrier_flat(c), fn);
    struct coll_sched *s = cs_new(c);
    if (!s) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    struct cs_grp g = {c->size, c->rank, NULL};
    if (alg == BA_NODE_AWARE)
        node_aware(s);
    else
        dissemination(s, &g);
    return cs_run(s, req, fn);
}

#pragma weak MPI_Barrier = PMPI_Barrier
FERRY_API int PMPI_Barrier(MPI_Comm comm)
{
    LOCKED();
    return barrier(comm, NULL, "MPI_Barrier");
}

#pragma weak MPI_Ibarrier = PMPI_Ibarrier
FERRY_API int PMPI_Ibarrier(MPI_Comm comm, MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Ibarrier");
    return barrier(comm, req, "MPI_Ibarrier");
}
