/* MPI_Allreduce and MPI_Iallreduce. Recursive doubling for short vectors
 * (log2(p) rounds, any operation: the lower half's partial result always
 * goes first); for long ones with a commutative operation Rabenseifner's
 * reduce-scatter by recursive halving then allgather by recursive doubling,
 * or a ring (bandwidth-optimal, 2(p-1) rounds); across nodes a reduce
 * within each node, an allreduce among the node leaders and a broadcast
 * within each node. A non-power-of-two p first folds pairs of ranks
 * (2i, 2i+1) for i < p - 2^k into one. */
#include <string.h>

#include "runtime/core/world.h"
#include "runtime/mpi/coll.h"
#include "runtime/mpi/coll_fast.h"
#include "runtime/progress/lock.h"

enum { AR_RECURSIVE_DOUBLING, AR_RABENSEIFNER, AR_RING, AR_NODE_AWARE, AR_FLAT };

struct fold {
    int pof2, rem, newrank; /* newrank -1: folded out */
};

/* Ranks 2i (i < rem) hand their elements to 2i+1 and wait for the result
 * (fold_end). */
static struct fold fold_start(struct coll_sched *s, const struct cs_grp *g, void *buf, void *tmp,
                              size_t count)
{
    struct fold f;
    size_t len = count * esize(s);
    for (f.pof2 = 1; f.pof2 * 2 <= g->n; f.pof2 *= 2) continue;
    f.rem = g->n - f.pof2;
    int me = g->me;
    if (me < 2 * f.rem && me % 2 == 0) {
        cs_send(s, grp_rank(g, me + 1), buf, len);
        f.newrank = -1;
    } else if (me < 2 * f.rem) {
        cs_recv(s, grp_rank(g, me - 1), tmp, len);
        cs_reduce(s, tmp, buf, count);
        f.newrank = me / 2;
    } else {
        f.newrank = me - f.rem;
    }
    cs_round(s);
    return f;
}

static int fold_peer(const struct fold *f, int newrank)
{
    return newrank < f->rem ? newrank * 2 + 1 : newrank + f->rem;
}

static void fold_end(struct coll_sched *s, const struct cs_grp *g, const struct fold *f, void *buf,
                     size_t count)
{
    size_t len = count * esize(s);
    int me = g->me;
    if (me < 2 * f->rem) {
        if (me % 2)
            cs_send(s, grp_rank(g, me - 1), buf, len);
        else
            cs_recv(s, grp_rank(g, me + 1), buf, len);
        cs_round(s);
    }
}

void alg_allreduce_rd(struct coll_sched *s, const struct cs_grp *g, void *buf, size_t count)
{
    size_t len = count * esize(s);
    void *tmp = cs_alloc(s, len);
    struct fold f = fold_start(s, g, buf, tmp, count);
    if (f.newrank >= 0) {
        for (int mask = 1; mask < f.pof2; mask <<= 1) {
            int np = f.newrank ^ mask, peer = grp_rank(g, fold_peer(&f, np));
            cs_send(s, peer, buf, len);
            cs_recv(s, peer, tmp, len);
            if (np < f.newrank || s->op->commute) {
                cs_reduce(s, tmp, buf, count);
            } else {
                /* buf op tmp, into tmp, then back. */
                cs_reduce(s, buf, tmp, count);
                cs_copy(s, buf, tmp, len);
            }
            cs_round(s);
        }
    }
    fold_end(s, g, &f, buf, count);
}

static void allreduce_rabenseifner(struct coll_sched *s, void *vbuf, size_t count)
{
    struct mpi_comm *c = s->c;
    struct cs_grp g = {c->size, c->rank, NULL};
    size_t es = esize(s), len = count * es;
    char *buf = vbuf, *tmp = cs_alloc(s, len);
    struct fold f = fold_start(s, &g, buf, tmp, count);
    if (f.newrank >= 0) {
        int lo = 0, hi = f.pof2; /* the blocks this rank still reduces */
        int los[32], his[32], steps = 0;
        for (int mask = f.pof2 / 2; mask > 0; mask >>= 1, steps++) {
            int np = f.newrank ^ mask, peer = fold_peer(&f, np), mid = lo + (hi - lo) / 2;
            int klo = f.newrank < np ? lo : mid, khi = f.newrank < np ? mid : hi;
            int glo = f.newrank < np ? mid : lo, ghi = f.newrank < np ? hi : mid;
            size_t a = coll_blk_lo(count, f.pof2, klo), b = coll_blk_lo(count, f.pof2, khi);
            size_t ga = coll_blk_lo(count, f.pof2, glo), gb = coll_blk_lo(count, f.pof2, ghi);
            cs_send(s, peer, buf + ga * es, (gb - ga) * es);
            cs_recv(s, peer, tmp + a * es, (b - a) * es);
            cs_reduce(s, tmp + a * es, buf + a * es, b - a);
            cs_round(s);
            los[steps] = lo;
            his[steps] = hi;
            lo = klo;
            hi = khi;
        }
        /* Back up the same steps: exchange what each side reduced. */
        for (int mask = 1, k = steps - 1; mask < f.pof2; mask <<= 1, k--) {
            int np = f.newrank ^ mask, peer = fold_peer(&f, np);
            int plo = lo == los[k] ? hi : los[k], phi = lo == los[k] ? his[k] : lo;
            size_t a = coll_blk_lo(count, f.pof2, lo), b = coll_blk_lo(count, f.pof2, hi);
            size_t pa = coll_blk_lo(count, f.pof2, plo), pb = coll_blk_lo(count, f.pof2, phi);
            cs_send(s, peer, buf + a * es, (b - a) * es);
            cs_recv(s, peer, buf + pa * es, (pb - pa) * es);
            cs_round(s);
            lo = los[k];
            hi = his[k];
        }
    }
    fold_end(s, &g, &f, buf, count);
}

void alg_ring_reduce_scatter(struct coll_sched *s, char *buf, size_t count)
{
    struct mpi_comm *c = s->c;
    int n = c->size, me = c->rank, next = (me + 1) % n, prev = (me - 1 + n) % n;
    size_t es = esize(s);
    char *tmp = cs_alloc(s, (count / (size_t)n + 1) * es);
#define LO(i)  coll_blk_lo(count, n, (i))
#define CNT(i) (LO((i) + 1) - LO(i))
    for (int i = 0; i < n - 1; i++) {
        int so = (me - i + n) % n, ri = (me - i - 1 + n) % n;
        cs_send(s, next, buf + LO(so) * es, CNT(so) * es);
        cs_recv(s, prev, tmp, CNT(ri) * es);
        cs_reduce(s, tmp, buf + LO(ri) * es, CNT(ri));
        cs_round(s);
    }
#undef LO
#undef CNT
}

/* The ring reduce-scatter, then the blocks passed round the ring. */
static void allreduce_ring(struct coll_sched *s, void *vbuf, size_t count)
{
    int n = s->c->size, me = s->c->rank, next = (me + 1) % n, prev = (me - 1 + n) % n;
    size_t es = esize(s);
    char *buf = vbuf;
    alg_ring_reduce_scatter(s, buf, count);
#define LO(i)  coll_blk_lo(count, n, (i))
#define CNT(i) (LO((i) + 1) - LO(i))
    for (int i = 0; i < n - 1; i++) {
        int so = (me + 1 - i + n) % n, ri = (me - i + n) % n;
        cs_send(s, next, buf + LO(so) * es, CNT(so) * es);
        cs_recv(s, prev, buf + LO(ri) * es, CNT(ri) * es);
        cs_round(s);
    }
#undef LO
#undef CNT
}

static void allreduce_node_aware(struct coll_sched *s, void *buf, size_t count)
{
    struct coll_nodes nd;
    if (coll_nodes(s, &nd)) return;
    size_t len = count * esize(s);
    void *mine = cs_alloc(s, len);
    cs_copy(s, mine, buf, len);
    cs_round(s);
    struct cs_grp ng = {nd.nlocal, nd.me_local, nd.local};
    alg_reduce_binomial(s, &ng, 0, mine, buf, count);
    if (nd.me_leader >= 0) {
        struct cs_grp lg = {nd.nleaders, nd.me_leader, nd.leaders};
        alg_allreduce_rd(s, &lg, buf, count);
    }
    alg_bcast_binomial(s, &ng, 0, buf, len);
}

/* Everyone's elements to rank 0, combined there as x0 op (x1 op (... op
 * x(p-1))) (member order, any operation), the result back to everyone:
 * two wake-ups per rank however many ranks. coll_fast.c has its twin. */
static void allreduce_flat(struct coll_sched *s, void *buf, size_t count)
{
    int n = s->c->size;
    size_t len = count * esize(s);
    if (s->c->rank) {
        cs_send(s, 0, buf, len);
        cs_recv(s, 0, buf, len);
        cs_round(s);
        return;
    }
    char *all = cs_alloc(s, (size_t)(n - 1) * len);
    if (!all) return;
    for (int i = 1; i < n; i++) cs_recv(s, i, all + (size_t)(i - 1) * len, len);
    char *acc = all + (size_t)(n - 2) * len;
    for (int i = n - 2; i >= 1; i--) cs_reduce(s, all + (size_t)(i - 1) * len, acc, count);
    cs_reduce(s, buf, acc, count);
    cs_copy(s, buf, acc, len);
    cs_round(s);
    for (int i = 1; i < n; i++) cs_send(s, i, buf, len);
    cs_round(s);
}

static int choose(struct mpi_comm *c, const struct mpi_op *o, size_t count, size_t len)
{
    int f = coll_forced(CK_ALLREDUCE), pof2 = 1;
    while (pof2 * 2 <= c->size) pof2 *= 2;
    /* A forced algorithm that cannot serve these arguments yields to the
     * default, the same way on every rank. */
    if (f > AR_RECURSIVE_DOUBLING && f != AR_FLAT && !o->commute) f = -1;
    if (f == AR_RABENSEIFNER && count < (size_t)pof2) f = -1;
    if (f >= 0) return f;
    if (len <= 256 && coll_crowded_node()) return AR_FLAT;
    if (!o->commute) return AR_RECURSIVE_DOUBLING;
    if (coll_multinode(c)) return AR_NODE_AWARE;
    /* On one node large messages cost one copy whatever their size, and
     * rounds cost context switches: the ring's 2(p-1) rounds lose to
     * Rabenseifner's 2 log2(p) there (1 MiB, 8 ranks on 2 cores: 11-13
     * against 13-14 ms; 4 ranks: 1.5-3.5 against 3.7-9 ms). */
    if (len >= 256 * 1024 && count >= (size_t)c->size && ferry_w.local_size < ferry_w.size)
        return AR_RING;
    if (len >= 8 * 1024 && count >= (size_t)pof2) return AR_RABENSEIFNER;
    return AR_RECURSIVE_DOUBLING;
}

static int allreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op,
                     MPI_Comm comm, MPI_Request *req, const char *fn)
{
    struct mpi_comm *c;
    struct mpi_dtype *t;
    struct mpi_op *o;
    int rc = coll_check_reduction(comm, sbuf, rbuf, count, type, op, req, fn, &c, &t, &o);
    if (rc) return rc;
    size_t n = (size_t)count, len = n * (size_t)t->size;
    const void *sp = sbuf, *rp;
    if (!req && n && c->size > 1 && len <= CF_MAX_BYTES && dt_span(t, count, rbuf, &rp) &&
        (sbuf == MPI_IN_PLACE || dt_span(t, count, sbuf, &sp))) {
        int alg = choose(c, o, n, len);
        if (alg == AR_RECURSIVE_DOUBLING || alg == AR_FLAT) {
            if (sbuf != MPI_IN_PLACE) memcpy((void *)rp, sp, len);
            rc = alg == AR_FLAT ? cf_allreduce_flat(c, o, t, (void *)rp, n)
                                : cf_allreduce_rd(c, o, t, (void *)rp, n);
            return cf_raise(c, rc, fn);
        }
    }
    struct coll_sched *s = cs_new(c);
    if (!s) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    cs_set_op(s, o, t);
    if (n) {
        /* The result is built in the receive buffer (or its packed
         * stand-in), starting from this rank's elements. */
        void *buf = cs_out(s, t, n, rbuf);
        if (sbuf != MPI_IN_PLACE)
            cs_copy(s, buf, cs_in(s, t, n, sbuf), len);
        else
            cs_copy(s, buf, cs_in(s, t, n, rbuf), len);
        cs_round(s);
        if (c->size > 1) {
            struct cs_grp g = {c->size, c->rank, NULL};
            switch (choose(c, o, n, len)) {
            case AR_RABENSEIFNER:
                allreduce_rabenseifner(s, buf, n);
                break;
            case AR_RING:
                allreduce_ring(s, buf, n);
                break;
            case AR_NODE_AWARE:
                allreduce_node_aware(s, buf, n);
                break;
            case AR_FLAT:
                allreduce_flat(s, buf, n);
                break;
            default:
                alg_allreduce_rd(s, &g, buf, n);
            }
        }
        cs_out_done(s, t, n, buf, rbuf);
    }
    return cs_run(s, req, fn);
}

#pragma weak MPI_Allreduce = PMPI_Allreduce
FERRY_API int PMPI_Allreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op,
                             MPI_Comm comm)
{
    LOCKED();
    return allreduce(sbuf, rbuf, count, type, op, comm, NULL, "MPI_Allreduce");
}

#pragma weak MPI_Iallreduce = PMPI_Iallreduce
FERRY_API int PMPI_Iallreduce(const void *sbuf, void *rbuf, int count, MPI_Datatype type, MPI_Op op,
                              MPI_Comm comm, MPI_Request *req)
{
    LOCKED();
    if (!req) return coll_null_req(comm, "MPI_Iallreduce");
    return allreduce(sbuf, rbuf, count, type, op, comm, req, "MPI_Iallreduce");
}
