/* MPI_Scatter(v) and MPI_Iscatter(v): the gathers in reverse. Scatter: a
 * binomial tree over ranks relative to the root (each rank receives its
 * subtree's blocks in one message and passes the children theirs), or
 * linear; Scatterv: linear. */
#include "runtime/mpi/coll.h"
#include "runtime/progress/lock.h"

enum { SC_BINOMIAL, SC_LINEAR };

/* all: at the root, the n blocks in rank order; mine: where this rank's
 * block goes (NULL: the root keeps its own in place). */
static void scatter_binomial(struct coll_sched *s, int root, const char *all, void *mine,
                             size_t blk)
{
    int n = s->c->size, rel = (s->c->rank - root + n) % n, mask = 1;
    while (mask < n && !(rel & mask)) mask <<= 1;
    int sub = mask < n - rel ? mask : n - rel;
    const char *tmp;
    if (!rel) {
        if (root) {
            /* Rank order to relative order. */
            char *t = cs_alloc(s, (size_t)n * blk);
            if (!t) return;
            for (int k = 0; k < n; k++)
                cs_copy(s, t + (size_t)k * blk, all + (size_t)((k + root) % n) * blk, blk);
            tmp = t;
        } else {
            tmp = all;
        }
        if (mine) cs_copy(s, mine, all + (size_t)root * blk, blk);
        cs_round(s);
    } else {
        char *t = sub == 1 ? mine : cs_alloc(s, (size_t)sub * blk);
        cs_recv(s, (rel - mask + root) % n, t, (size_t)sub * blk);
        cs_round(s);
        if (sub > 1) cs_copy(s, mine, t, blk);
        tmp = t;
    }
    for (int m = mask >> 1; m > 0; m >>= 1)
        if (rel + m < n) {
            int k = m < n - rel - m ? m : n - rel - m;
            cs_send(s, (rel + m + root) % n, tmp + (size_t)m * blk, (size_t)k * blk);
        }
    cs_round(s);
}

static int scatter(const void *sbuf, const int *scounts, const int *displs, int v, int scount,
                   MPI_Datatype stype, void *rbuf, int rcount, MPI_Datatype rtype, int root,
                   MPI_Comm comm, MPI_Request *req, const char *fn)
{
    struct mpi_comm *c;
    struct mpi_dtype *st = NULL, *rt = NULL;
    int rc;
    if ((rc = check_comm(comm, fn, &c)) || (rc = coll_check_root(c, root, fn))) return rc;
    int isroot = c->rank == root, inplace = isroot && rbuf == MPI_IN_PLACE, n = c->size;
    if (!inplace && ((rc = check_count(c, rcount, fn)) || (rc = check_dtype(c, rtype, fn, &rt)) ||
                     (rc = coll_check_buf(c, rbuf, (size_t)rcount, rt, isroot, "receive", fn))))
        return rc;
    if (isroot) {
        if ((rc = check_dtype(c, stype, fn, &st))) return rc;
        if (v) {
            if ((rc = coll_check_counts(c, n, scounts, displs, "send", fn))) return rc;
        } else if ((rc = check_count(c, scount, fn))) {
            return rc;
        }
        for (int i = 0; i < n; i++)
            if ((rc = coll_check_buf(c, sbuf, (size_t)(scounts ? scounts[i] : scount), st, 0,
                                     "send", fn)))
                return rc;
        if (!inplace &&
            (rc = coll_check_alias(c, sbuf, rbuf, (size_t)rcount * (size_t)rt->size, fn)))
            return rc;
    }
    if (req && (rc = coll_check_req(c, req, fn))) return rc;
    struct coll_sched *s = cs_new(c);
    if (!s) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    size_t rblk = inplace ? 0 : (size_t)rcount * (size_t)rt->size;
    size_t blk = isroot ? (size_t)scount * (size_t)st->size : rblk;
    MPI_Aint sext = st ? dt_extent(st) : 0;
    int alg = coll_forced(CK_SCATTER);
    /* Scatterv's counts matter at the root only: the form decides. */
    if (v || n == 1)
        alg = SC_LINEAR;
    else if (alg < 0)
        alg = blk >= 8192 ? SC_LINEAR : SC_BINOMIAL;
    if (alg == SC_BINOMIAL) {
        const char *all = isroot ? cs_in(s, st, (size_t)n * (size_t)scount, sbuf) : NULL;
        void *mine = inplace ? NULL : cs_out(s, rt, (size_t)rcount, rbuf);
        cs_round(s);
        if (blk) scatter_binomial(s, root, all, mine, blk);
        if (!inplace) cs_out_done(s, rt, (size_t)rcount, mine, rbuf);
    } else if (!isroot) {
        void *mine = cs_out(s, rt, (size_t)rcount, rbuf);
        if (rblk) cs_recv(s, root, mine, rblk);
        cs_round(s);
        cs_out_done(s, rt, (size_t)rcount, mine, rbuf);
    } else {
        for (int i = 0; i < n; i++) {
            int cnt = scounts ? scounts[i] : scount;
            MPI_Aint d = scounts ? displs[i] : (MPI_Aint)i * scount;
            const void *blkp = cs_in(s, st, (size_t)cnt, addr_add(sbuf, d * sext));
            size_t len = (size_t)cnt * (size_t)st->size;
            if (i != root) {
                /* Empty blocks travel in no message, on either side. */
                if (len) cs_send(s, i, blkp, len);
            } else if (!inplace) {
                void *mine = cs_out(s, rt, (size_t)rcount, rbuf);
                cs_copy(s, mine, blkp, len);
                cs_out_done(s, rt, (size_t)rcount, mine, rbuf);
            }
        }
        cs_round(s);
    }
    return cs_run(s, req, fn);
}

#pragma weak MPI_Scatter = PMPI_Scatter
FERRY_API int PMPI_Scatter(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount,
                           MPI_Datatype rtype, int root, MPI_Comm comm)
{
    LOCKED();
    return scatter(sbuf, NULL, NULL, 0, scount, stype, rbuf, rcount, rtype, root, comm, NULL,
                   "MPI_Scatter");
}

#pragma weak MPI_Iscatter = PMPI_Iscatter
FERRY_API int PMPI_Iscatter(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf,
                            int rcount, MPI_Datatype rtype, int root, MPI_Comm comm,
                            MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Iscatter");
    return scatter(sbuf, NULL, NULL, 0, scount, stype, rbuf, rcount, rtype, root, comm, req,
                   "MPI_Iscatter");
}

#pragma weak MPI_Scatterv = PMPI_Scatterv
FERRY_API int PMPI_Scatterv(const void *sbuf, const int scounts[], const int displs[],
                            MPI_Datatype stype, void *rbuf, int rcount, MPI_Datatype rtype,
                            int root, MPI_Comm comm)
{
    LOCKED();
    return scatter(sbuf, scounts, displs, 1, 0, stype, rbuf, rcount, rtype, root, comm, NULL,
                   "MPI_Scatterv");
}

#pragma weak MPI_Iscatterv = PMPI_Iscatterv
FERRY_API int PMPI_Iscatterv(const void *sbuf, const int scounts[], const int displs[],
                             MPI_Datatype stype, void *rbuf, int rcount, MPI_Datatype rtype,
                             int root, MPI_Comm comm, MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Iscatterv");
    return scatter(sbuf, scounts, displs, 1, 0, stype, rbuf, rcount, rtype, root, comm, req,
                   "MPI_Iscatterv");
}
