/* MPI_Reduce and MPI_Ireduce: a binomial tree (children's partial results
 * received at once, then combined in member order, so a non-commutative
 * operation sees its operands in rank order); across nodes, each node
 * reduces to one member first and those cross the network once. */
#include "runtime/core/world.h"
#include "runtime/mpi/coll.h"
#include "runtime/mpi/coll_fast.h"
#include "runtime/progress/lock.h"

enum { RE_BINOMIAL, RE_NODE_AWARE, RE_RING };

/* Member rel (relative to the tree's root) combines its own elements with
 * its children's partial results, which cover the members right after it:
 * acc = mine op c1 op c2 op c4 ... each child's buffer taking the result
 * in turn (inout = in op inout). */
static const void *tree(struct coll_sched *s, const struct cs_grp *g, int root, int rel,
                        const void *mine, void *last, size_t count, int *parent)
{
    int n = g->n, mask = 1, lastmask = 0;
    size_t len = count * esize(s);
    const void *acc = mine;
    for (int m = 1; m < n && !(rel & m); m <<= 1)
        if (rel + m < n) lastmask = m;
    for (; mask < n; mask <<= 1) {
        if (rel & mask) break;
        if (rel + mask >= n) continue;
        /* The last child's buffer ends up holding the result: the root's
         * output when it may (a copy fewer). */
        void *b = mask == lastmask && last ? last : cs_alloc(s, len);
        cs_recv(s, grp_rank(g, (rel + mask + root) % n), b, len);
        cs_reduce(s, acc, b, count);
        acc = b;
    }
    *parent = mask < n ? grp_rank(g, (rel - mask + root) % n) : -1;
    return acc;
}

void alg_reduce_binomial(struct coll_sched *s, const struct cs_grp *g, int root, const void *mine,
                         void *out, size_t count)
{
    int n = g->n, parent;
    size_t len = count * esize(s);
    /* In member order the tree must be rooted at member 0; the result then
     * travels to the root. */
    int troot = s->op->commute ? root : 0;
    void *last = g->me == root && troot == root && out != mine ? out : NULL;
    const void *acc = tree(s, g, troot, (g->me - troot + n) % n, mine, last, count, &parent);
    cs_round(s);
    if (parent >= 0) {
        cs_send(s, parent, acc, len);
    } else if (g->me == root) {
        cs_copy(s, out, acc, len);
    } else {
        cs_send(s, grp_rank(g, root), acc, len);
    }
    if (g->me == root && troot != root) cs_recv(s, grp_rank(g, troot), out, len);
    cs_round(s);
}

/* The root's node reduces to the root, every other node to its leader;
 * then the leaders (the root for its node) reduce to the root. */
static void reduce_node_aware(struct coll_sched *s, int root, const void *mine, void *out,
                              size_t count)
{
    struct coll_nodes nd;
    if (coll_nodes(s, &nd)) return;
    int me = s->c->rank, mynode = nd.nodeix[me];
    nd.leaders[nd.nodeix[root]] = root;
    int speaker = nd.leaders[mynode], sroot = 0;
    while (nd.local[sroot] != speaker) sroot++;
    void *part = me == speaker ? cs_alloc(s, count * esize(s)) : NULL;
    struct cs_grp ng = {nd.nlocal, nd.me_local, nd.local};
    alg_reduce_binomial(s, &ng, sroot, mine, part, count);
    if (me == speaker) {
        struct cs_grp lg = {nd.nleaders, mynode, nd.leaders};
        alg_reduce_binomial(s, &lg, nd.nodeix[root], part, out, count);
    }
}

/* Large vectors, commutative operation: a ring reduce-scatter (p-1
 * rounds, each rank combining 1/p of the vector per round, all at once),
 * then every rank sends its finished 1/p to the root. */
static void reduce_ring(struct coll_sched *s, int root, const void *mine, void *out, size_t count)
{
    int n = s->c->size, me = s->c->rank;
    size_t es = esize(s);
    char *w = cs_alloc(s, count * es);
    if (!w) return;
    cs_copy(s, w, mine, count * es);
    cs_round(s);
    alg_ring_reduce_scatter(s, w, count);
#define LO(i)  coll_blk_lo(count, n, (i))
#define CNT(i) (LO((i) + 1) - LO(i))
    /* Rank r now holds block r+1 complete. */
    int mineblk = (me + 1) % n;
    if (me != root) {
        cs_send(s, root, w + LO(mineblk) * es, CNT(mineblk) * es);
    } else {
        cs_copy(s, (char *)out + LO(mineblk) * es, w + LO(mineblk) * es, CNT(mineblk) * es);
        for (int r = 0; r < n; r++)
            if (r != me) cs_recv(s, r, (char *)out + LO((r + 1) % n) * es, CNT((r + 1) % n) * es);
    }
    cs_round(s);
#undef LO
#undef CNT
}

static int choose(struct mpi_comm *c, const struct mpi_op *o, size_t n, size_t esize)
{
    int alg = coll_forced(CK_REDUCE);
    /* The ring splits the vector in p blocks: a commutative operation
     * and at least p elements. */
    if (alg == RE_RING && (!o->commute || n < (size_t)c->size)) alg = -1;
    if (alg >= 0) return alg;
    if (coll_multinode(c) && o->commute) return RE_NODE_AWARE;
    /* On one node a message is one copy whatever its size, and the tree's
     * last child lands in the root's output: the binomial tree beats the
     * ring's 2(p-1) steps and its copy of the vector (1 MiB, 2/4/8 ranks
     * on 2 cores: 106/590-640/540-560 against 456/920-1210/1270-1310 us).
     * Between nodes the ring spares the root's links. */
    int one_node = ferry_w.local_size == ferry_w.size;
    return o->commute && !one_node && c->size > 2 && n >= (size_t)c->size && n * esize >= 256 * 1024
               ? RE_RING
               : RE_BINOMIAL;
}

static int reduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op, int root,
                  MPI_Comm comm, MPI_Request *req, const char *fn)
{
    struct mpi_comm *c;
    struct mpi_dtype *t;
    struct mpi_op *o;
    int rc;
    if ((rc = check_comm(comm, fn, &c)) || (rc = check_count(c, count, fn)) ||
        (rc = check_dtype(c, type, fn, &t)) || (rc = coll_check_op(c, op, t, fn, &o)) ||
        (rc = coll_check_root(c, root, fn)) ||
        (rc = coll_check_buf(c, sbuf, (size_t)count, t, c->rank == root, "send", fn)) ||
        (c->rank == root &&
         ((rc = coll_check_buf(c, rbuf, (size_t)count, t, 0, "receive", fn)) ||
          (rc = coll_check_alias(c, sbuf, rbuf, (size_t)count * (size_t)t->size, fn)))) ||
        (req && (rc = coll_check_req(c, req, fn))))
        return rc;
    size_t n = (size_t)count;
    int isroot = c->rank == root, alg = n ? choose(c, o, n, (size_t)t->size) : -1;
    const void *mp, *outp = NULL;
    if (!req && alg == RE_BINOMIAL && c->size > 1 &&
        dt_span(t, count, sbuf == MPI_IN_PLACE ? rbuf : sbuf, &mp) &&
        (!isroot || dt_span(t, count, rbuf, &outp)))
        return cf_raise(c, cf_reduce_binomial(c, o, t, root, mp, (void *)outp, n), fn);
    struct coll_sched *s = cs_new(c);
    if (!s) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    cs_set_op(s, o, t);
    if (n) {
        const void *mine = cs_in(s, t, n, sbuf == MPI_IN_PLACE ? rbuf : sbuf);
        void *out = isroot ? cs_out(s, t, n, rbuf) : NULL;
        cs_round(s);
        if (alg == RE_RING && c->size > 1) {
            reduce_ring(s, root, mine, out, n);
        } else if (alg == RE_NODE_AWARE && o->commute) {
            reduce_node_aware(s, root, mine, out, n);
        } else {
            struct cs_grp g = {c->size, c->rank, NULL};
            alg_reduce_binomial(s, &g, root, mine, out, n);
        }
        if (isroot) cs_out_done(s, t, n, out, rbuf);
    }
    return cs_run(s, req, fn);
}

#pragma weak MPI_Reduce = PMPI_Reduce
FERRY_API int PMPI_Reduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op,
                          int root, MPI_Comm comm)
{
    LOCKED();
    return reduce(sbuf, rbuf, count, type, op, root, comm, NULL, "MPI_Reduce");
}

#pragma weak MPI_Ireduce = PMPI_Ireduce
FERRY_API int PMPI_Ireduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op,
                           int root, MPI_Comm comm, MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Ireduce");
    return reduce(sbuf, rbuf, count, type, op, root, comm, req, "MPI_Ireduce");
}
