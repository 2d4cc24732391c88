/* MPI_Allgather(v) and MPI_Iallgather(v). Allgather: recursive doubling
 * when p is a power of two (log2(p) rounds, each doubling what a rank
 * holds), Bruck's algorithm for other p (log2(p) rounds, then one
 * rotation), or a ring (p-1 rounds of one block: for large blocks).
 * Allgatherv: a ring, every block received straight into place. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/mpi/coll.h"
#include "runtime/mpi/coll_fast.h"
#include "runtime/progress/lock.h"

enum { AG_RECURSIVE_DOUBLING, AG_BRUCK, AG_RING };

static void ring(struct coll_sched *s, void *const *at, const size_t *len)
{
    int n = s->c->size, me = s->c->rank;
    for (int i = 0; i < n - 1; i++) {
        int so = (me - i + n) % n, ri = (me - i - 1 + n) % n;
        cs_send(s, (me + 1) % n, at[so], len[so]);
        cs_recv(s, (me - 1 + n) % n, at[ri], len[ri]);
        cs_round(s);
    }
}

static void recursive_doubling(struct coll_sched *s, char *out, size_t blk)
{
    int me = s->c->rank;
    for (int mask = 1; mask < s->c->size; mask <<= 1) {
        int peer = me ^ mask, mine = me & ~(mask - 1), theirs = peer & ~(mask - 1);
        cs_send(s, peer, out + (size_t)mine * blk, (size_t)mask * blk);
        cs_recv(s, peer, out + (size_t)theirs * blk, (size_t)mask * blk);
        cs_round(s);
    }
}

/* tmp holds the blocks of ranks me, me+1, ... in that order; at distance
 * d a rank passes the first min(d, n-d) it has to me-d and appends those
 * of me+d. */
static void bruck(struct coll_sched *s, char *out, size_t blk)
{
    int n = s->c->size, me = s->c->rank;
    char *tmp = cs_alloc(s, (size_t)n * blk);
    if (!tmp) return;
    cs_copy(s, tmp, out + (size_t)me * blk, blk);
    cs_round(s);
    for (int d = 1; d < n; d *= 2) {
        int k = d < n - d ? d : n - d;
        cs_send(s, (me - d + n) % n, tmp, (size_t)k * blk);
        cs_recv(s, (me + d) % n, tmp + (size_t)d * blk, (size_t)k * blk);
        cs_round(s);
    }
    for (int i = 0; i < n; i++)
        cs_copy(s, out + (size_t)((me + i) % n) * blk, tmp + (size_t)i * blk, blk);
    cs_round(s);
}

static int allgather(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf,
                     const int *rcounts, const int *displs, int rcount, MPI_Datatype rtype,
                     MPI_Comm comm, MPI_Request *req, const char *fn)
{
    struct mpi_comm *c;
    struct mpi_dtype *st = NULL, *rt;
    int rc;
    if ((rc = check_comm(comm, fn, &c))) return rc;
    int inplace = sbuf == MPI_IN_PLACE, n = c->size, me = c->rank;
    if (!inplace && ((rc = check_count(c, scount, fn)) || (rc = check_dtype(c, stype, fn, &st)) ||
                     (rc = coll_check_buf(c, sbuf, (size_t)scount, st, 1, "send", fn))))
        return rc;
    if ((rc = check_dtype(c, rtype, fn, &rt))) return rc;
    if (rcounts) {
        if ((rc = coll_check_counts(c, n, rcounts, displs, "receive", fn))) return rc;
    } else if ((rc = check_count(c, rcount, fn))) {
        return rc;
    }
    for (int i = 0; i < n; i++)
        if ((rc = coll_check_buf(c, rbuf, (size_t)(rcounts ? rcounts[i] : rcount), rt, 0, "receive",
                                 fn)))
            return rc;
    if (!inplace && (rc = coll_check_alias(c, sbuf, rbuf, (size_t)scount * (size_t)st->size, fn)))
        return rc;
    if (req && (rc = coll_check_req(c, req, fn))) return rc;
    MPI_Aint rext = dt_extent(rt);
    size_t blk = (size_t)rcount * (size_t)rt->size;
    int alg = coll_forced(CK_ALLGATHER);
    if (rcounts)
        alg = AG_RING;
    else if (alg == AG_RECURSIVE_DOUBLING && (n & (n - 1)))
        alg = AG_BRUCK;
    else if (alg < 0) /* two ranks: one exchange either way, without a schedule */
        alg = blk * (size_t)n >= 64 * 1024 && n > 2 ? AG_RING
              : (n & (n - 1))                       ? AG_BRUCK
                                                    : AG_RECURSIVE_DOUBLING;
    const void *op, *sp = NULL;
    if (!req && alg != AG_RING && blk && n > 1 && (long long)n * rcount <= INT_MAX &&
        dt_span(rt, n * rcount, rbuf, &op) &&
        (inplace || (blk == (size_t)scount * (size_t)st->size && dt_span(st, scount, sbuf, &sp)))) {
        char *out = (char *)op;
        const void *mine = inplace ? out + (size_t)me * blk : sp;
        return cf_raise(c, cf_allgather(c, out, mine, blk, alg == AG_BRUCK), fn);
    }
    struct coll_sched *s = cs_new(c);
    if (!s) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    if (alg != AG_RING) {
        /* One packed image of the whole receive buffer. */
        size_t total = (size_t)n * (size_t)rcount;
        char *out = cs_out(s, rt, total, rbuf);
        const void *mine = inplace
                               ? cs_in(s, rt, (size_t)rcount, addr_add(rbuf, me * rcount * rext))
                               : cs_in(s, st, (size_t)scount, sbuf);
        if (out) cs_copy(s, out + (size_t)me * blk, mine, blk);
        cs_round(s);
        if (blk && n > 1 && out) {
            if (alg == AG_BRUCK)
                bruck(s, out, blk);
            else
                recursive_doubling(s, out, blk);
        }
        cs_out_done(s, rt, total, out, rbuf);
    } else {
        void **at = cs_alloc(s, (size_t)n * sizeof *at);
        size_t *len = cs_alloc(s, (size_t)n * sizeof *len);
        if (at && len) {
            for (int i = 0; i < n; i++) {
                int cnt = rcounts ? rcounts[i] : rcount;
                MPI_Aint d = rcounts ? displs[i] : (MPI_Aint)i * rcount;
                void *ub = addr_add(rbuf, d * rext);
                len[i] = (size_t)cnt * (size_t)rt->size;
                if (i == me && inplace) {
                    at[i] = (void *)cs_in(s, rt, (size_t)cnt, ub);
                    continue;
                }
                at[i] = cs_out(s, rt, (size_t)cnt, ub);
                if (i == me) cs_copy(s, at[i], cs_in(s, st, (size_t)scount, sbuf), len[i]);
            }
            cs_round(s);
            ring(s, at, len);
            for (int i = 0; i < n; i++) {
                if (i == me && inplace) continue;
                MPI_Aint d = rcounts ? displs[i] : (MPI_Aint)i * rcount;
                cs_out_done(s, rt, (size_t)(rcounts ? rcounts[i] : rcount), at[i],
                            addr_add(rbuf, d * rext));
            }
        }
    }
    return cs_run(s, req, fn);
}

#pragma weak MPI_Allgather = PMPI_Allgather
FERRY_API int PMPI_Allgather(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf,
                             int rcount, MPI_Datatype rtype, MPI_Comm comm)
{
    LOCKED();
    return allgather(sbuf, scount, stype, rbuf, NULL, NULL, rcount, rtype, comm, NULL,
                     "MPI_Allgather");
}

#pragma weak MPI_Iallgather = PMPI_Iallgather
FERRY_API int PMPI_Iallgather(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf,
                              int rcount, MPI_Datatype rtype, MPI_Comm comm, MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Iallgather");
    return allgather(sbuf, scount, stype, rbuf, NULL, NULL, rcount, rtype, comm, req,
                     "MPI_Iallgather");
}

#pragma weak MPI_Allgatherv = PMPI_Allgatherv
FERRY_API int PMPI_Allgatherv(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf,
                              const int rcounts[], const int displs[], MPI_Datatype rtype,
                              MPI_Comm comm)
{
    LOCKED();
    return allgather(sbuf, scount, stype, rbuf, rcounts, displs, 0, rtype, comm, NULL,
                     "MPI_Allgatherv");
}

#pragma weak MPI_Iallgatherv = PMPI_Iallgatherv
FERRY_API int PMPI_Iallgatherv(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf,
                               const int rcounts[], const int displs[], MPI_Datatype rtype,
                               MPI_Comm comm, MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Iallgatherv");
    return allgather(sbuf, scount, stype, rbuf, rcounts, displs, 0, rtype, comm, req,
                     "MPI_Iallgatherv");
}
