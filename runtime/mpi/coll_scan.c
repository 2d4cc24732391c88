/* MPI_Scan and MPI_Exscan, blocking and not. Recursive doubling: in round
 * k a rank sends the reduction of the 2^k ranks ending at it to the rank
 * 2^k above, and folds what it receives (always from lower ranks) in
 * front of its own, so any operation works. Or linear: a chain, each
 * rank's prefix passed to the next (p-1 steps, one message per rank). */
#include "runtime/mpi/coll.h"
#include "runtime/progress/lock.h"

enum { SC_RECURSIVE_DOUBLING, SC_LINEAR };

/* out: the result (written unless exclusive and rank 0); mine: packed
 * input. */
static void scan_rd(struct coll_sched *s, const void *mine, void *out, size_t count, int exclusive)
{
    int n = s->c->size, me = s->c->rank, have = !exclusive;
    size_t len = count * esize(s);
    void *part = cs_alloc(s, len), *tmp = cs_alloc(s, len);
    cs_copy(s, part, mine, len);
    if (!exclusive) cs_copy(s, out, mine, len);
    cs_round(s);
    for (int mask = 1; mask < n; mask <<= 1) {
        if (me + mask < n) cs_send(s, me + mask, part, len);
        if (me - mask >= 0) {
            cs_recv(s, me - mask, tmp, len);
            if (have) {
                cs_reduce(s, tmp, out, count);
            } else {
                cs_copy(s, out, tmp, len);
                have = 1;
            }
            cs_reduce(s, tmp, part, count);
        }
        cs_round(s);
    }
}

static void scan_linear(struct coll_sched *s, const void *mine, void *out, size_t count,
                        int exclusive)
{
    int n = s->c->size, me = s->c->rank;
    size_t len = count * esize(s);
    const void *prefix = mine; /* through this rank */
    if (me > 0) {
        void *tmp = cs_alloc(s, len);
        cs_recv(s, me - 1, tmp, len);
        if (exclusive) {
            cs_copy(s, out, tmp, len);
            if (me + 1 < n) {
                void *p = cs_alloc(s, len);
                cs_copy(s, p, mine, len);
                cs_reduce(s, tmp, p, count);
                prefix = p;
            }
        } else {
            cs_copy(s, out, mine, len);
            cs_reduce(s, tmp, out, count);
            prefix = out;
        }
    } else if (!exclusive) {
        cs_copy(s, out, mine, len);
    }
    cs_round(s);
    if (me + 1 < n) cs_send(s, me + 1, prefix, len);
    cs_round(s);
}

static int scan(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op,
                MPI_Comm comm, MPI_Request *req, int exclusive, const char *fn)
{
    struct mpi_comm *c;
    struct mpi_dtype *t;
    struct mpi_op *o;
    int rc = coll_check_reduction(comm, sbuf, rbuf, count, type, op, req, fn, &c, &t, &o);
    if (rc) return rc;
    struct coll_sched *s = cs_new(c);
    if (!s) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    cs_set_op(s, o, t);
    size_t n = (size_t)count;
    if (n) {
        const void *in = cs_in(s, t, n, sbuf == MPI_IN_PLACE ? rbuf : sbuf);
        void *mine = cs_alloc(s, n * (size_t)t->size);
        if (mine) cs_copy(s, mine, in, n * (size_t)t->size);
        void *out = cs_out(s, t, n, rbuf);
        cs_round(s);
        if (coll_forced(CK_SCAN) == SC_LINEAR)
            scan_linear(s, mine, out, n, exclusive);
        else
            scan_rd(s, mine, out, n, exclusive);
        /* MPI leaves rank 0's result of an exclusive scan undefined: its
         * buffer is left as it was. */
        if (!exclusive || c->rank > 0) cs_out_done(s, t, n, out, rbuf);
    }
    return cs_run(s, req, fn);
}

#pragma weak MPI_Scan = PMPI_Scan
FERRY_API int PMPI_Scan(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op,
                        MPI_Comm comm)
{
    LOCKED();
    return scan(sbuf, rbuf, count, type, op, comm, NULL, 0, "MPI_Scan");
}

#pragma weak MPI_Iscan = PMPI_Iscan
FERRY_API int PMPI_Iscan(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op,
                         MPI_Comm comm, MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Iscan");
    return scan(sbuf, rbuf, count, type, op, comm, req, 0, "MPI_Iscan");
}

#pragma weak MPI_Exscan = PMPI_Exscan
FERRY_API int PMPI_Exscan(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op,
                          MPI_Comm comm)
{
    LOCKED();
    return scan(sbuf, rbuf, count, type, op, comm, NULL, 1, "MPI_Exscan");
}

#pragma weak MPI_Iexscan = PMPI_Iexscan
FERRY_API int PMPI_Iexscan(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op,
                           MPI_Comm comm, MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Iexscan");
    return scan(sbuf, rbuf, count, type, op, comm, req, 1, "MPI_Iexscan");
}
