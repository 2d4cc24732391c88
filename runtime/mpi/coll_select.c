/* Forcing an algorithm from the environment, and the node layout the
 * node-aware algorithms follow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/core/world.h"
#include "runtime/mpi/coll_select.h"

struct kind_names {
    const char *env;
    const char *names[6];
};

/* The order of each list is the order of the algorithm enums in the
 * family files. */
static const struct kind_names kinds[CK_N] = {
    [CK_BARRIER] = {"FERRY_COLL_BARRIER", {"dissemination", "node_aware"}},
    [CK_BCAST] = {"FERRY_COLL_BCAST", {"binomial", "scatter_allgather", "node_aware"}},
    [CK_REDUCE] = {"FERRY_COLL_REDUCE", {"binomial", "node_aware", "ring"}},
    [CK_ALLREDUCE] = {"FERRY_COLL_ALLREDUCE",
                      {"recursive_doubling", "rabenseifner", "ring", "node_aware", "flat"}},
    [CK_GATHER] = {"FERRY_COLL_GATHER", {"binomial", "linear"}},
    [CK_SCATTER] = {"FERRY_COLL_SCATTER", {"binomial", "linear"}},
    [CK_ALLGATHER] = {"FERRY_COLL_ALLGATHER", {"recursive_doubling", "bruck", "ring"}},
    [CK_ALLTOALL] = {"FERRY_COLL_ALLTOALL", {"bruck", "pairwise", "linear"}},
    [CK_REDUCE_SCATTER] = {"FERRY_COLL_REDUCE_SCATTER", {"reduce_scatterv", "ring"}},
    [CK_SCAN] = {"FERRY_COLL_SCAN", {"recursive_doubling", "linear"}},
};

static int cache[CK_N];
static int cached[CK_N];

int coll_forced(enum coll_kind k)
{
    if (cached[k]) return cache[k];
    cached[k] = 1;
    cache[k] = -1;
    const char *v = getenv(kinds[k].env);
    if (!v || !*v) return -1;
    for (int i = 0; i < 6 && kinds[k].names[i]; i++)
        if (strcmp(v, kinds[k].names[i]) == 0) return cache[k] = i;
    char list[256] = "";
    for (int i = 0; i < 6 && kinds[k].names[i]; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, kinds[k].names[i], sizeof list - strlen(list) - 1);
    }
    fprintf(stderr, "ferry[%d]: %s=%s is not an algorithm (%s); using the default\n", ferry_w.rank,
            kinds[k].env, v, list);
    return -1;
}

static int node_of(struct mpi_comm *c, int r)
{
    return ferry_w.node_of ? ferry_w.node_of[comm_world_rank(c, r)] : 0;
}

int coll_nodes(struct coll_sched *s, struct coll_nodes *n)
{
    struct mpi_comm *c = s->c;
    int p = c->size, mine = node_of(c, c->rank);
    n->local = cs_alloc(s, (size_t)p * sizeof(int));
    n->leaders = cs_alloc(s, (size_t)p * sizeof(int));
    int *seen = cs_alloc(s, (size_t)p * sizeof(int));
    n->nodeix = cs_alloc(s, (size_t)p * sizeof(int));
    if (!n->local || !n->leaders || !seen || !n->nodeix) return -1;
    n->nlocal = n->nleaders = 0;
    n->me_leader = -1;
    /* A member leads its node when no lower member shares it: look the
     * node up among the leaders so far (nodes are few). */
    for (int r = 0; r < p; r++) {
        int nd = node_of(c, r), j = 0;
        while (j < n->nleaders && seen[j] != nd) j++;
        if (j == n->nleaders) {
            seen[j] = nd;
            if (r == c->rank) n->me_leader = j;
            n->leaders[n->nleaders++] = r;
        }
        n->nodeix[r] = j;
        if (nd == mine) {
            if (r == c->rank) n->me_local = n->nlocal;
            n->local[n->nlocal++] = r;
        }
    }
    n->my_leader = n->local[0];
    return 0;
}

int coll_multinode(struct mpi_comm *c)
{
    if (!ferry_w.node_of || ferry_w.local_size == ferry_w.size) return 0;
    int first = node_of(c, 0), other = 0, shared = 0;
    for (int r = 0; r < c->size; r++) {
        int nd = node_of(c, r);
        if (nd != first) other = 1;
        /* Two members on one node: the previous member's node (cheap). */
        if (r && nd == node_of(c, r - 1)) shared = 1;
    }
    return other && shared;
}

int coll_crowded_node(void)
{
    return ferry_w.local_size == ferry_w.size && ferry_w.ncores > 0 &&
           ferry_w.local_size >= 4 * ferry_w.ncores;
}
