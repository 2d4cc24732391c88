/* MPI_Reduce_scatter(_block) and their nonblocking forms. Any operation:
 * a reduction of the whole vector to rank 0 (in rank order), which then
 * sends each rank its segment. A commutative one, by default: a ring of
 * p-1 rounds where each rank passes on one segment's partial sum, so each
 * byte crosses each link once. */
#include "runtime/mpi/coll.h"
#include "runtime/progress/lock.h"

enum { RS_REDUCE_SCATTERV, RS_RING };

static void ring(struct coll_sched *s, char *w, const size_t *lo, const int *cnt)
{
    int n = s->c->size, me = s->c->rank;
    size_t es = esize(s), big = 0;
    for (int i = 0; i < n; i++) big = (size_t)cnt[i] > big ? (size_t)cnt[i] : big;
    char *tmp = cs_alloc(s, big * es);
    /* Round i: pass segment me-i-1 on, add the left neighbour's partial
     * segment me-i-2: after p-1 rounds segment me is complete here. */
    for (int i = 0; i < n - 1; i++) {
        int so = ((me - i - 1) % n + n) % n, ri = ((me - i - 2) % n + n) % n;
        cs_send(s, (me + 1) % n, w + lo[so] * es, (size_t)cnt[so] * es);
        cs_recv(s, (me - 1 + n) % n, tmp, (size_t)cnt[ri] * es);
        cs_reduce(s, tmp, w + lo[ri] * es, (size_t)cnt[ri]);
        cs_round(s);
    }
}

static int reduce_scatter(const void *sbuf, void *rbuf, const int *rcounts, int rcount,
                          MPI_Datatype type, MPI_Op op, MPI_Comm comm, MPI_Request *req,
                          const char *fn)
{
    struct mpi_comm *c;
    struct mpi_dtype *t;
    struct mpi_op *o;
    int rc;
    if ((rc = check_comm(comm, fn, &c)) || (rc = check_dtype(c, type, fn, &t)) ||
        (rc = coll_check_op(c, op, t, fn, &o)))
        return rc;
    int n = c->size, me = c->rank;
    if (rcounts) {
        if ((rc = coll_check_counts(c, n, rcounts, rcounts, "receive", fn))) return rc;
    } else if ((rc = check_count(c, rcount, fn))) {
        return rc;
    }
    size_t total = 0;
    for (int i = 0; i < n; i++) total += (size_t)(rcounts ? rcounts[i] : rcount);
    size_t mine = (size_t)(rcounts ? rcounts[me] : rcount);
    if ((rc = coll_check_buf(c, sbuf, total, t, 1, "send", fn)) ||
        (rc = coll_check_buf(c, rbuf, sbuf == MPI_IN_PLACE ? total : mine, t, 0, "receive", fn)) ||
        (rc = coll_check_alias(c, sbuf, rbuf, total * (size_t)t->size, fn)) ||
        (req && (rc = coll_check_req(c, req, fn))))
        return rc;
    struct coll_sched *s = cs_new(c);
    if (!s) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    cs_set_op(s, o, t);
    size_t es = (size_t)t->size;
    size_t *lo = cs_alloc(s, (size_t)(n + 1) * sizeof *lo);
    int *cnt = cs_alloc(s, (size_t)n * sizeof *cnt);
    if (total && lo && cnt) {
        lo[0] = 0;
        for (int i = 0; i < n; i++) {
            cnt[i] = rcounts ? rcounts[i] : rcount;
            lo[i + 1] = lo[i] + (size_t)cnt[i];
        }
        /* A writable packed copy of the whole input vector. */
        char *w = cs_alloc(s, total * es);
        const void *in = cs_in(s, t, total, sbuf == MPI_IN_PLACE ? rbuf : sbuf);
        if (w) cs_copy(s, w, in, total * es);
        cs_round(s);
        int alg = coll_forced(CK_REDUCE_SCATTER);
        if (!o->commute)
            alg = RS_REDUCE_SCATTERV;
        else if (alg < 0)
            alg = RS_RING;
        if (n == 1) {
            /* w is the result already. */
        } else if (alg == RS_RING) {
            ring(s, w, lo, cnt);
        } else {
            struct cs_grp g = {n, me, NULL};
            char *res = me == 0 ? cs_alloc(s, total * es) : NULL;
            alg_reduce_binomial(s, &g, 0, w, res, total);
            if (me == 0) {
                for (int i = 1; i < n; i++) cs_send(s, i, res + lo[i] * es, (size_t)cnt[i] * es);
                cs_copy(s, w, res, (size_t)cnt[0] * es);
            } else {
                cs_recv(s, 0, w + lo[me] * es, mine * es);
            }
            cs_round(s);
        }
        void *out = cs_out(s, t, mine, rbuf);
        cs_copy(s, out, w + lo[me] * es, mine * es);
        cs_out_done(s, t, mine, out, rbuf);
    }
    return cs_run(s, req, fn);
}

#pragma weak MPI_Reduce_scatter = PMPI_Reduce_scatter
FERRY_API int PMPI_Reduce_scatter(const void *sbuf, void *rbuf, const int rcounts[],
                                  MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    LOCKED();
    struct mpi_comm *c = comm_get(comm);
    if (!rcounts && c) return mpi_err(c, MPI_ERR_ARG, "MPI_Reduce_scatter", "null counts array");
    return reduce_scatter(sbuf, rbuf, rcounts, 0, type, op, comm, NULL, "MPI_Reduce_scatter");
}

#pragma weak MPI_Ireduce_scatter = PMPI_Ireduce_scatter
FERRY_API int PMPI_Ireduce_scatter(const void *sbuf, void *rbuf, const int rcounts[],
                                   MPI_Datatype type, MPI_Op op, MPI_Comm comm, MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Ireduce_scatter");
    struct mpi_comm *c = comm_get(comm);
    if (!rcounts && c) return mpi_err(c, MPI_ERR_ARG, "MPI_Ireduce_scatter", "null counts array");
    return reduce_scatter(sbuf, rbuf, rcounts, 0, type, op, comm, req, "MPI_Ireduce_scatter");
}

#pragma weak MPI_Reduce_scatter_block = PMPI_Reduce_scatter_block
FERRY_API int PMPI_Reduce_scatter_block(const void *sbuf, void *rbuf, int rcount, MPI_Datatype type,
                                        MPI_Op op, MPI_Comm comm)
{
    LOCKED();
    return reduce_scatter(sbuf, rbuf, NULL, rcount, type, op, comm, NULL,
                          "MPI_Reduce_scatter_block");
}

#pragma weak MPI_Ireduce_scatter_block = PMPI_Ireduce_scatter_block
FERRY_API int PMPI_Ireduce_scatter_block(const void *sbuf, void *rbuf, int rcount,
                                         MPI_Datatype type, MPI_Op op, MPI_Comm comm,
                                         MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Ireduce_scatter_block");
    return reduce_scatter(sbuf, rbuf, NULL, rcount, type, op, comm, req,
                          "MPI_Ireduce_scatter_block");
}
