/* MPI_Gather(v) and MPI_Igather(v). Gather: a binomial tree over ranks
 * relative to the root, each rank forwarding its subtree's blocks in one
 * message (log2(p) steps at the root), or linear (the root receives every
 * block straight into place: fewer copies for large blocks). Gatherv:
 * linear, as every block has its own size and place. */
#include "runtime/mpi/coll.h"
#include "runtime/progress/lock.h"

enum { GA_BINOMIAL, GA_LINEAR };

static void gather_binomial(struct coll_sched *s, int root, const void *mine, char *out, size_t blk)
{
    int n = s->c->size, rel = (s->c->rank - root + n) % n, mask = 1;
    while (mask < n && !(rel & mask)) mask <<= 1;
    int sub = mask < n - rel ? mask : n - rel; /* blocks of the subtree at rel */
    char *tmp;
    if (sub == 1 && rel) {
        tmp = (char *)mine; /* a leaf sends its own block */
    } else {
        tmp = root == 0 && !rel ? out : cs_alloc(s, (size_t)sub * blk);
        if (!tmp) return;
        cs_copy(s, tmp, mine, blk);
        cs_round(s);
    }
    for (int m = 1; m < mask && rel + m < n; m <<= 1) {
        int k = m < n - rel - m ? m : n - rel - m;
        cs_recv(s, (rel + m + root) % n, tmp + (size_t)m * blk, (size_t)k * blk);
    }
    cs_round(s);
    if (rel) {
        cs_send(s, (rel - mask + root) % n, tmp, (size_t)sub * blk);
    } else if (tmp != out) {
        /* Relative order to rank order. */
        for (int k = 0; k < n; k++)
            cs_copy(s, out + (size_t)((k + root) % n) * blk, tmp + (size_t)k * blk, blk);
    }
    cs_round(s);
}

static int gather(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, const int *rcounts,
                  const int *displs, int v, int rcount, MPI_Datatype rtype, int root, MPI_Comm comm,
                  MPI_Request *req, const char *fn)
{
    struct mpi_comm *c;
    struct mpi_dtype *st = NULL, *rt = NULL;
    int rc, isroot;
    if ((rc = check_comm(comm, fn, &c)) || (rc = coll_check_root(c, root, fn))) return rc;
    isroot = c->rank == root;
    int inplace = isroot && sbuf == MPI_IN_PLACE;
    if (!inplace && ((rc = check_count(c, scount, fn)) || (rc = check_dtype(c, stype, fn, &st)) ||
                     (rc = coll_check_buf(c, sbuf, (size_t)scount, st, isroot, "send", fn))))
        return rc;
    if (isroot) {
        if ((rc = check_dtype(c, rtype, fn, &rt))) return rc;
        if (v) {
            if ((rc = coll_check_counts(c, c->size, rcounts, displs, "receive", fn))) return rc;
        } else if ((rc = check_count(c, rcount, fn))) {
            return rc;
        }
        for (int i = 0; i < c->size; i++)
            if ((rc = coll_check_buf(c, rbuf, (size_t)(rcounts ? rcounts[i] : rcount), rt, 0,
                                     "receive", fn)))
                return rc;
        if (!inplace &&
            (rc = coll_check_alias(c, sbuf, rbuf, (size_t)scount * (size_t)st->size, fn)))
            return rc;
    }
    if (req && (rc = coll_check_req(c, req, fn))) return rc;
    struct coll_sched *s = cs_new(c);
    if (!s) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    int n = c->size;
    MPI_Aint rext = rt ? dt_extent(rt) : 0;
    size_t sblk = inplace ? 0 : (size_t)scount * (size_t)st->size;
    /* Every rank decides from the block size it knows (the same on all). */
    size_t blk = isroot ? (size_t)rcount * (size_t)rt->size : sblk;
    int alg = coll_forced(CK_GATHER);
    /* Gatherv's counts matter at the root only: the form decides. */
    if (v || n == 1)
        alg = GA_LINEAR;
    else if (alg < 0)
        alg = blk >= 8192 ? GA_LINEAR : GA_BINOMIAL;
    if (alg == GA_BINOMIAL) {
        const void *mine;
        char *out = NULL;
        if (isroot) {
            out = cs_out(s, rt, (size_t)n * (size_t)rcount, rbuf);
            mine = inplace ? cs_in(s, rt, (size_t)rcount, addr_add(rbuf, root * rcount * rext))
                           : cs_in(s, st, (size_t)scount, sbuf);
        } else {
            mine = cs_in(s, st, (size_t)scount, sbuf);
        }
        cs_round(s);
        if (blk) gather_binomial(s, root, mine, out, blk);
        if (isroot) cs_out_done(s, rt, (size_t)n * (size_t)rcount, out, rbuf);
    } else if (!isroot) {
        if (sblk) cs_send(s, root, cs_in(s, st, (size_t)scount, sbuf), sblk);
        cs_round(s);
    } else {
        void **at = cs_alloc(s, (size_t)n * sizeof *at);
        if (at) {
            for (int i = 0; i < n; i++) {
                int cnt = rcounts ? rcounts[i] : rcount;
                MPI_Aint d = rcounts ? displs[i] : (MPI_Aint)i * rcount;
                void *ub = addr_add(rbuf, d * rext);
                at[i] = cs_out(s, rt, (size_t)cnt, ub);
                size_t len = (size_t)cnt * (size_t)rt->size;
                /* Empty blocks travel in no message, on either side. */
                if (i != root && len)
                    cs_recv(s, i, at[i], len);
                else if (!inplace)
                    cs_copy(s, at[i], cs_in(s, st, (size_t)scount, sbuf), len);
            }
            cs_round(s);
            for (int i = 0; i < n; i++) {
                if (i == root && inplace) continue;
                int cnt = rcounts ? rcounts[i] : rcount;
                MPI_Aint d = rcounts ? displs[i] : (MPI_Aint)i * rcount;
                cs_out_done(s, rt, (size_t)cnt, at[i], addr_add(rbuf, d * rext));
            }
        }
    }
    return cs_run(s, req, fn);
}

#pragma weak MPI_Gather = PMPI_Gather
FERRY_API int PMPI_Gather(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount,
                          MPI_Datatype rtype, int root, MPI_Comm comm)
{
    LOCKED();
    return gather(sbuf, scount, stype, rbuf, NULL, NULL, 0, rcount, rtype, root, comm, NULL,
                  "MPI_Gather");
}

#pragma weak MPI_Igather = PMPI_Igather
FERRY_API int PMPI_Igather(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf, int rcount,
                           MPI_Datatype rtype, int root, MPI_Comm comm, MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Igather");
    return gather(sbuf, scount, stype, rbuf, NULL, NULL, 0, rcount, rtype, root, comm, req,
                  "MPI_Igather");
}

#pragma weak MPI_Gatherv = PMPI_Gatherv
FERRY_API int PMPI_Gatherv(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf,
                           const int rcounts[], const int displs[], MPI_Datatype rtype, int root,
                           MPI_Comm comm)
{
    LOCKED();
    return gather(sbuf, scount, stype, rbuf, rcounts, displs, 1, 0, rtype, root, comm, NULL,
                  "MPI_Gatherv");
}

#pragma weak MPI_Igatherv = PMPI_Igatherv
FERRY_API int PMPI_Igatherv(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf,
                            const int rcounts[], const int displs[], MPI_Datatype rtype, int root,
                            MPI_Comm comm, MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Igatherv");
    return gather(sbuf, scount, stype, rbuf, rcounts, displs, 1, 0, rtype, root, comm, req,
                  "MPI_Igatherv");
}
