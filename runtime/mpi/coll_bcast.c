/* MPI_Bcast and MPI_Ibcast: a binomial tree for small messages; for large
 * ones a binomial scatter of n chunks and a ring allgather of them, so the
 * root sends each byte about once; across nodes, one message per node and
 * then a tree within each node. */
#include "runtime/core/world.h"
#include "runtime/mpi/coll.h"
#include "runtime/mpi/coll_fast.h"
#include "runtime/progress/lock.h"

enum { BC_BINOMIAL, BC_SCATTER_ALLGATHER, BC_NODE_AWARE };

void alg_bcast_binomial(struct coll_sched *s, const struct cs_grp *g, int root, void *buf,
                        size_t len)
{
    int n = g->n, rel = (g->me - root + n) % n, mask = 1;
    for (; mask < n; mask <<= 1)
        if (rel & mask) {
            cs_recv(s, grp_rank(g, (rel - mask + root) % n), buf, len);
            break;
        }
    cs_round(s);
    for (mask >>= 1; mask > 0; mask >>= 1)
        if (rel + mask < n) cs_send(s, grp_rank(g, (rel + mask + root) % n), buf, len);
    cs_round(s);
}

/* Chunk k of the buffer belongs to relative rank k. */
static size_t chunk_len(size_t len, size_t blk, long k)
{
    size_t start = (size_t)k * blk;
    if (start >= len) return 0;
    return len - start < blk ? len - start : blk;
}

static size_t range_len(size_t len, size_t blk, long from, long nchunks)
{
    size_t a = (size_t)from * blk, b = (size_t)(from + nchunks) * blk;
    if (a >= len) return 0;
    return (b > len ? len : b) - a;
}

static void bcast_scatter_allgather(struct coll_sched *s, int root, char *buf, size_t len)
{
    int n = s->c->size, rel = (s->c->rank - root + n) % n, mask = 1;
    size_t blk = (len + (size_t)n - 1) / (size_t)n;
#define RANK(x) (((x) + root) % n)
    /* Scatter: rel receives chunks [rel, rel + subtree) from its parent. */
    for (; mask < n; mask <<= 1)
        if (rel & mask) {
            long sub = mask < n - rel ? mask : n - rel;
            cs_recv(s, RANK(rel - mask), buf + (size_t)rel * blk, range_len(len, blk, rel, sub));
            break;
        }
    cs_round(s);
    for (mask >>= 1; mask > 0; mask >>= 1)
        if (rel + mask < n) {
            long sub = mask < n - rel - mask ? mask : n - rel - mask;
            cs_send(s, RANK(rel + mask), buf + (size_t)(rel + mask) * blk,
                    range_len(len, blk, rel + mask, sub));
        }
    cs_round(s);
    /* Ring allgather of the chunks, in relative order. */
    for (int i = 0; i < n - 1; i++) {
        long out = ((long)rel - i + n) % n, in = ((long)rel - i - 1 + n) % n;
        cs_send(s, RANK((rel + 1) % n), buf + (size_t)out * blk, chunk_len(len, blk, out));
        cs_recv(s, RANK((rel - 1 + n) % n), buf + (size_t)in * blk, chunk_len(len, blk, in));
        cs_round(s);
    }
#undef RANK
}

/* The root speaks for its node among the leaders; then each node's
 * speaker broadcasts to its node. */
static void bcast_node_aware(struct coll_sched *s, int root, void *buf, size_t len)
{
    struct coll_nodes nd;
    if (coll_nodes(s, &nd)) return;
    int me = s->c->rank, rn = nd.nodeix[root], mynode = nd.nodeix[me];
    nd.leaders[rn] = root;
    int speaker = nd.leaders[mynode];
    if (speaker == me) {
        struct cs_grp lg = {nd.nleaders, mynode, nd.leaders};
        alg_bcast_binomial(s, &lg, rn, buf, len);
    }
    int sroot = 0;
    while (nd.local[sroot] != speaker) sroot++;
    struct cs_grp ng = {nd.nlocal, nd.me_local, nd.local};
    alg_bcast_binomial(s, &ng, sroot, buf, len);
}

static int choose(struct mpi_comm *c, size_t len)
{
    int f = coll_forced(CK_BCAST);
    if (f == BC_SCATTER_ALLGATHER && len < (size_t)c->size) f = BC_BINOMIAL;
    if (f >= 0) return f;
    if (coll_multinode(c)) return BC_NODE_AWARE;
    /* Splitting pays where bandwidth is scarce, between nodes; on one node
     * a large message is one copy anyway and every extra round costs
     * context switches (1 MiB, 8 ranks on 2 cores: binomial 2.7 against
     * 4.2 ms). */
    int one_node = ferry_w.local_size == ferry_w.size;
    return len >= 64 * 1024 && c->size > 2 && !one_node ? BC_SCATTER_ALLGATHER : BC_BINOMIAL;
}

static int bcast(void *buffer, int count, MPI_Datatype type, int root, MPI_Comm comm,
                 MPI_Request *req, const char *fn)
{
    struct mpi_comm *c;
    struct mpi_dtype *t;
    int rc;
    if ((rc = check_comm(comm, fn, &c)) || (rc = check_count(c, count, fn)) ||
        (rc = check_dtype(c, type, fn, &t)) || (rc = coll_check_root(c, root, fn)) ||
        (rc = coll_check_buf(c, buffer, (size_t)count, t, 0, "", fn)) ||
        (req && (rc = coll_check_req(c, req, fn))))
        return rc;
    size_t len = (size_t)count * (size_t)t->size;
    const void *span;
    if (!req && c->size > 1 && len && dt_span(t, count, buffer, &span) &&
        choose(c, len) == BC_BINOMIAL)
        return cf_raise(c, cf_bcast_binomial(c, root, (void *)span, len), fn);
    struct coll_sched *s = cs_new(c);
    if (!s) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    if (c->size > 1 && len) {
        void *p = c->rank == root ? (void *)cs_in(s, t, (size_t)count, buffer)
                                  : cs_out(s, t, (size_t)count, buffer);
        cs_round(s);
        struct cs_grp g = {c->size, c->rank, NULL};
        switch (choose(c, len)) {
        case BC_SCATTER_ALLGATHER:
            bcast_scatter_allgather(s, root, p, len);
            break;
        case BC_NODE_AWARE:
            bcast_node_aware(s, root, p, len);
            break;
        default:
            alg_bcast_binomial(s, &g, root, p, len);
        }
        if (c->rank != root) cs_out_done(s, t, (size_t)count, p, buffer);
    }
    return cs_run(s, req, fn);
}

#pragma weak MPI_Bcast = PMPI_Bcast
FERRY_API int PMPI_Bcast(void *buffer, int count, MPI_Datatype type, int root, MPI_Comm comm)
{
    LOCKED();
    return bcast(buffer, count, type, root, comm, NULL, "MPI_Bcast");
}

#pragma weak MPI_Ibcast = PMPI_Ibcast
FERRY_API int PMPI_Ibcast(void *buffer, int count, MPI_Datatype type, int root, MPI_Comm comm,
                          MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Ibcast");
    return bcast(buffer, count, type, root, comm, req, "MPI_Ibcast");
}
