/* MPI_Alltoall(v,w) and their nonblocking forms. Alltoall: Bruck's
 * algorithm for small blocks (log2(p) rounds, each moving the blocks whose
 * index has that bit set), pairwise exchange for large ones (p-1 rounds,
 * with rank me+i and me-i in round i), or linear (every message at once).
 * The v and w forms are linear: each block has its own size, type and
 * place. With MPI_IN_PLACE the receive buffer is copied first and sent
 * from the copy. */
#include <limits.h>
#include <stdlib.h>

#include "runtime/core/world.h"
#include "runtime/mpi/coll.h"
#include "runtime/mpi/coll_fast.h"
#include "runtime/progress/lock.h"

enum { AA_BRUCK, AA_PAIRWISE, AA_LINEAR };
enum { A2A_PLAIN, A2A_V, A2A_W };

static void bruck(struct coll_sched *s, const char *in, char *out, size_t blk)
{
    int n = s->c->size, me = s->c->rank;
    char *tmp = cs_alloc(s, (size_t)n * blk), *sb = cs_alloc(s, (size_t)(n / 2 + 1) * blk),
         *rb = cs_alloc(s, (size_t)(n / 2 + 1) * blk);
    if (!tmp || !sb || !rb) return;
    /* Rotate: tmp[k] is the block for rank me+k. */
    for (int k = 0; k < n; k++)
        cs_copy(s, tmp + (size_t)k * blk, in + (size_t)((me + k) % n) * blk, blk);
    for (int pow = 1; pow < n; pow <<= 1) {
        int m = 0;
        for (int k = 0; k < n; k++)
            if (k & pow) cs_copy(s, sb + (size_t)m++ * blk, tmp + (size_t)k * blk, blk);
        cs_round(s);
        cs_send(s, (me + pow) % n, sb, (size_t)m * blk);
        cs_recv(s, (me - pow + n) % n, rb, (size_t)m * blk);
        m = 0;
        for (int k = 0; k < n; k++)
            if (k & pow) cs_copy(s, tmp + (size_t)k * blk, rb + (size_t)m++ * blk, blk);
    }
    /* tmp[k] came from rank me-k. */
    for (int k = 0; k < n; k++)
        cs_copy(s, out + (size_t)((me - k + n) % n) * blk, tmp + (size_t)k * blk, blk);
    cs_round(s);
}

/* Blocks by rank: where each outgoing block is read and each incoming one
 * written, and their lengths. */
struct blocks {
    const void **in;
    void **out;
    size_t *slen, *rlen;
};

static void exchange(struct coll_sched *s, const struct blocks *b, int pairwise)
{
    int n = s->c->size, me = s->c->rank;
    cs_copy(s, b->out[me], b->in[me], b->rlen[me] < b->slen[me] ? b->rlen[me] : b->slen[me]);
    cs_round(s);
    for (int i = 1; i < n; i++) {
        int to = (me + i) % n, from = (me - i + n) % n;
        cs_recv(s, from, b->out[from], b->rlen[from]);
        cs_send(s, to, b->in[to], b->slen[to]);
        if (pairwise) cs_round(s);
    }
    cs_round(s);
}

/* Everything of the three forms: counts and displacements (v, w; NULL for
 * the plain form), types per rank (w; else one type), displacements in
 * bytes (w) or in extents. */
struct a2a_args {
    const void *sbuf;
    const int *scounts, *sdispls;
    const MPI_Datatype *stypes;
    void *rbuf;
    const int *rcounts, *rdispls;
    const MPI_Datatype *rtypes;
    int scount, rcount;
    MPI_Datatype stype, rtype;
    int form;
};

/* The algorithm of the plain form (not in place), blocks of blk bytes. */
static int choose(struct mpi_comm *c, size_t blk)
{
    int alg = coll_forced(CK_ALLTOALL);
    if (alg >= 0) return alg;
    /* On one node every message at once lets each rank run as long as it
     * has work, fewest context switches (8 ranks on 2 cores, 8 B: 36-37
     * against Bruck's 45-91 and pairwise's 95-297 us); only blocks of
     * 512 KiB and more go pairwise. */
    if (ferry_w.local_size == ferry_w.size) return blk >= 512 * 1024 ? AA_PAIRWISE : AA_LINEAR;
    return blk <= 256 && c->size > 2 ? AA_BRUCK : AA_PAIRWISE;
}

static int check_side(struct mpi_comm *c, int form, const int *counts, const int *displs,
                      const MPI_Datatype *types, int count, MPI_Datatype type, const void *buf,
                      struct mpi_dtype **tv, const char *what, const char *fn)
{
    int rc, n = c->size;
    if (form != A2A_PLAIN && (rc = coll_check_counts(c, n, counts, displs, what, fn))) return rc;
    if (form == A2A_PLAIN && (rc = check_count(c, count, fn))) return rc;
    if (form == A2A_W && !types) return mpi_err(c, MPI_ERR_ARG, fn, "null %s types array", what);
    for (int i = 0; i < n; i++) {
        if ((rc = check_dtype(c, types ? types[i] : type, fn, &tv[i]))) return rc;
        if ((rc = coll_check_buf(c, buf, (size_t)(counts ? counts[i] : count), tv[i], 0, what, fn)))
            return rc;
    }
    return MPI_SUCCESS;
}

static int alltoall(const struct a2a_args *a, MPI_Comm comm, MPI_Request *req, const char *fn)
{
    struct mpi_comm *c;
    int rc;
    if ((rc = check_comm(comm, fn, &c))) return rc;
    int n = c->size, inplace = a->sbuf == MPI_IN_PLACE, vec = a->form != A2A_PLAIN;
    struct mpi_dtype **st = malloc((size_t)n * 2 * sizeof *st), **rt = st + n;
    if (!st) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    if ((rc = check_side(c, a->form, a->rcounts, a->rdispls, a->rtypes, a->rcount, a->rtype,
                         a->rbuf, rt, "receive", fn)) ||
        (!inplace && (rc = check_side(c, a->form, a->scounts, a->sdispls, a->stypes, a->scount,
                                      a->stype, a->sbuf, st, "send", fn))) ||
        (!inplace && (rc = coll_check_alias(c, a->sbuf, a->rbuf, 1, fn))) ||
        (req && (rc = coll_check_req(c, req, fn)))) {
        free(st);
        return rc;
    }
    /* The plain form: each buffer is n blocks in rank order, one image of
     * n * count elements; blk bytes a block. */
    size_t blk = (size_t)a->rcount * (size_t)rt[0]->size;
    int alg = vec || inplace ? AA_LINEAR : choose(c, blk);
    int whole = !vec && !inplace && (long long)n * a->rcount <= INT_MAX &&
                (long long)n * a->scount <= INT_MAX &&
                blk == (size_t)a->scount * (size_t)st[0]->size;
    const void *sp, *rp;
    if (!req && whole && alg == AA_LINEAR && dt_span(rt[0], n * a->rcount, a->rbuf, &rp) &&
        dt_span(st[0], n * a->scount, a->sbuf, &sp)) {
        free(st);
        return cf_raise(c, cf_alltoall_linear(c, sp, (void *)rp, blk), fn);
    }
    if (whole && alg == AA_BRUCK && n > 1 && blk) {
        /* Bruck works on the packed images, whatever the types' layout:
         * the choice may not depend on it, since members may describe
         * their blocks by different types. */
        struct coll_sched *s = cs_new(c);
        if (!s) {
            free(st);
            return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
        }
        const void *in = cs_in(s, st[0], (size_t)n * (size_t)a->scount, a->sbuf);
        void *out = cs_out(s, rt[0], (size_t)n * (size_t)a->rcount, a->rbuf);
        cs_round(s);
        bruck(s, in, out, blk);
        cs_out_done(s, rt[0], (size_t)n * (size_t)a->rcount, out, a->rbuf);
        free(st);
        return cs_run(s, req, fn);
    }
    struct coll_sched *s = cs_new(c);
    if (!s) {
        free(st);
        return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    }
    struct blocks b = {
        cs_alloc(s, (size_t)n * sizeof(void *)), cs_alloc(s, (size_t)n * sizeof(void *)),
        cs_alloc(s, (size_t)n * sizeof(size_t)), cs_alloc(s, (size_t)n * sizeof(size_t))};
    if (s->error) {
        free(st);
        return cs_run(s, req, fn);
    }
    MPI_Aint *rd = cs_alloc(s, (size_t)n * sizeof *rd);
    for (int i = 0; i < n && rd; i++) {
        /* Where block i lies: bytes (w), extents (v), or the i-th run. */
        int rcnt = vec ? a->rcounts[i] : a->rcount;
        rd[i] = a->rtypes    ? (MPI_Aint)a->rdispls[i]
                : a->rdispls ? (MPI_Aint)a->rdispls[i] * dt_extent(rt[i])
                             : (MPI_Aint)i * a->rcount * dt_extent(rt[i]);
        void *ub = addr_add(a->rbuf, rd[i]);
        b.rlen[i] = (size_t)rcnt * (size_t)rt[i]->size;
        b.out[i] = cs_out(s, rt[i], (size_t)rcnt, ub);
        if (inplace) {
            /* Send a copy of what the receive buffer holds. */
            void *cp = cs_alloc(s, b.rlen[i]);
            const void *src = cs_in(s, rt[i], (size_t)rcnt, ub);
            if (cp) cs_copy(s, cp, src, b.rlen[i]);
            b.in[i] = cp;
            b.slen[i] = b.rlen[i];
        } else {
            int scnt = vec ? a->scounts[i] : a->scount;
            MPI_Aint sd = a->stypes    ? (MPI_Aint)a->sdispls[i]
                          : a->sdispls ? (MPI_Aint)a->sdispls[i] * dt_extent(st[i])
                                       : (MPI_Aint)i * a->scount * dt_extent(st[i]);
            b.in[i] = cs_in(s, st[i], (size_t)scnt, addr_add(a->sbuf, sd));
            b.slen[i] = (size_t)scnt * (size_t)st[i]->size;
        }
    }
    cs_round(s);
    exchange(s, &b, alg == AA_PAIRWISE);
    for (int i = 0; i < n && rd; i++)
        cs_out_done(s, rt[i], (size_t)(vec ? a->rcounts[i] : a->rcount), b.out[i],
                    addr_add(a->rbuf, rd[i]));
    free(st);
    return cs_run(s, req, fn);
}

#pragma weak MPI_Alltoall = PMPI_Alltoall
FERRY_API int PMPI_Alltoall(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf,
                            int rcount, MPI_Datatype rtype, MPI_Comm comm)
{
    LOCKED();
    struct a2a_args a = {.sbuf = sbuf,
                         .rbuf = rbuf,
                         .scount = scount,
                         .rcount = rcount,
                         .stype = stype,
                         .rtype = rtype};
    return alltoall(&a, comm, NULL, "MPI_Alltoall");
}

#pragma weak MPI_Ialltoall = PMPI_Ialltoall
FERRY_API int PMPI_Ialltoall(const void *sbuf, int scount, MPI_Datatype stype, void *rbuf,
                             int rcount, MPI_Datatype rtype, MPI_Comm comm, MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Ialltoall");
    struct a2a_args a = {.sbuf = sbuf,
                         .rbuf = rbuf,
                         .scount = scount,
                         .rcount = rcount,
                         .stype = stype,
                         .rtype = rtype};
    return alltoall(&a, comm, req, "MPI_Ialltoall");
}

#pragma weak MPI_Alltoallv = PMPI_Alltoallv
FERRY_API int PMPI_Alltoallv(const void *sbuf, const int scounts[], const int sdispls[],
                             MPI_Datatype stype, void *rbuf, const int rcounts[],
                             const int rdispls[], MPI_Datatype rtype, MPI_Comm comm)
{
    LOCKED();
    struct a2a_args a = {sbuf, scounts, sdispls, NULL,  rbuf,  rcounts, rdispls,
                         NULL, 0,       0,       stype, rtype, A2A_V};
    return alltoall(&a, comm, NULL, "MPI_Alltoallv");
}

#pragma weak MPI_Ialltoallv = PMPI_Ialltoallv
FERRY_API int PMPI_Ialltoallv(const void *sbuf, const int scounts[], const int sdispls[],
                              MPI_Datatype stype, void *rbuf, const int rcounts[],
                              const int rdispls[], MPI_Datatype rtype, MPI_Comm comm,
                              MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Ialltoallv");
    struct a2a_args a = {sbuf, scounts, sdispls, NULL,  rbuf,  rcounts, rdispls,
                         NULL, 0,       0,       stype, rtype, A2A_V};
    return alltoall(&a, comm, req, "MPI_Ialltoallv");
}

#pragma weak MPI_Alltoallw = PMPI_Alltoallw
FERRY_API int PMPI_Alltoallw(const void *sbuf, const int scounts[], const int sdispls[],
                             const MPI_Datatype stypes[], void *rbuf, const int rcounts[],
                             const int rdispls[], const MPI_Datatype rtypes[], MPI_Comm comm)
{
    LOCKED();
    struct a2a_args a = {
        sbuf, scounts,           sdispls,           stypes, rbuf, rcounts, rdispls, rtypes, 0,
        0,    MPI_DATATYPE_NULL, MPI_DATATYPE_NULL, A2A_W};
    return alltoall(&a, comm, NULL, "MPI_Alltoallw");
}

#pragma weak MPI_Ialltoallw = PMPI_Ialltoallw
FERRY_API int PMPI_Ialltoallw(const void *sbuf, const int scounts[], const int sdispls[],
                              const MPI_Datatype stypes[], void *rbuf, const int rcounts[],
                              const int rdispls[], const MPI_Datatype rtypes[], MPI_Comm comm,
                              MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Ialltoallw");
    struct a2a_args a = {
        sbuf, scounts,           sdispls,           stypes, rbuf, rcounts, rdispls, rtypes, 0,
        0,    MPI_DATATYPE_NULL, MPI_DATATYPE_NULL, A2A_W};
    return alltoall(&a, comm, req, "MPI_Ialltoallw");
}
