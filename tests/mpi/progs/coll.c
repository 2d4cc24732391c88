/* Collectives against hand-computed references: every collective, blocking
 * and nonblocking, on MPI_COMM_WORLD and on communicators of sizes 1..4
 * and a reordered one made with MPI_Comm_split, with counts 0, 1, odd and
 * large, contiguous and strided types, every kind of operation (integer,
 * floating, bitwise, logical, MAXLOC/MINLOC pairs, a non-commutative user
 * operation on a derived type, a user operation on a strided type), with
 * and without MPI_IN_PLACE. Then progress (nonblocking collectives finish
 * under MPI_Test alone, several at once on one communicator), argument
 * errors and MPI_Reduce_local. Run with FERRY_COLL_<NAME> set to force
 * each algorithm. */
#include <sched.h>
#include <string.h>

#include "mtest.h"

static int nb;    /* use the nonblocking forms */
static int quick; /* COLL_QUICK set: counts up to 1000 only */

/* Complete a nonblocking collective with MPI_Test alone, computing
 * between tests. */
static void finish(MPI_Request *rq)
{
    int flag = 0;
    volatile double x = 1;
    while (!flag) {
        for (int i = 0; i < 100; i++) x = x * 1.0000001 + 1e-9;
        CHECK_OK(MPI_Test(rq, &flag, MPI_STATUS_IGNORE));
        /* Oversubscribed (5 ranks on 2 cores in make check), a rank that
         * only spins keeps its peers from running. */
        if (!flag) sched_yield();
    }
    CHECK(*rq == MPI_REQUEST_NULL);
}

#define COLL(name, iname, ...)                                                                     \
    do {                                                                                           \
        if (nb) {                                                                                  \
            MPI_Request rq_;                                                                       \
            CHECK_OK(MPI_##iname(__VA_ARGS__, &rq_));                                              \
            finish(&rq_);                                                                          \
        } else {                                                                                   \
            CHECK_OK(MPI_##name(__VA_ARGS__));                                                     \
        }                                                                                          \
    } while (0)

/* --- reduction cases: a type, an operation, each rank's values and the
 * reference combination --- */

struct dint {
    double v;
    int i;
};

struct rcase {
    const char *name;
    MPI_Datatype type; /* set up in main for derived ones */
    MPI_Op op;
    size_t ext; /* bytes per element in memory */
    void (*fill)(void *el, int rank, int i);
    void (*combine)(const void *a, void *b); /* b = a op b */
    int (*eq)(const void *a, const void *b);
};

static int vint(int r, int i)
{
    return (r * 7 + i * 3) % 11 + 1;
}

static void f_int(void *e, int r, int i)
{
    *(int *)e = vint(r, i);
}
static void c_isum(const void *a, void *b)
{
    *(int *)b += *(const int *)a;
}
static void c_imax(const void *a, void *b)
{
    if (*(const int *)a > *(int *)b) *(int *)b = *(const int *)a;
}
static void c_iprod(const void *a, void *b)
{
    *(int *)b *= *(const int *)a;
}
static void c_ibxor(const void *a, void *b)
{
    *(int *)b ^= *(const int *)a;
}
static int e_int(const void *a, const void *b)
{
    return *(const int *)a == *(const int *)b;
}
static void f_dbl(void *e, int r, int i)
{
    *(double *)e = vint(r, i) * 0.5;
}
static void c_dsum(const void *a, void *b)
{
    *(double *)b += *(const double *)a;
}
static void c_dmin(const void *a, void *b)
{
    if (*(const double *)a < *(double *)b) *(double *)b = *(const double *)a;
}
static int e_dbl(const void *a, const void *b)
{
    return *(const double *)a == *(const double *)b;
}
static void f_uc(void *e, int r, int i)
{
    *(unsigned char *)e = (unsigned char)(1u << ((r + i) % 8));
}
static void c_ucbor(const void *a, void *b)
{
    *(unsigned char *)b |= *(const unsigned char *)a;
}
static int e_uc(const void *a, const void *b)
{
    return *(const unsigned char *)a == *(const unsigned char *)b;
}
static void f_ll(void *e, int r, int i)
{
    *(long long *)e = (r + i) % 4 != 0;
}
static void c_llland(const void *a, void *b)
{
    *(long long *)b = *(const long long *)a && *(long long *)b;
}
static int e_ll(const void *a, const void *b)
{
    return *(const long long *)a == *(const long long *)b;
}
static void f_2int(void *e, int r, int i)
{
    int *p = e;
    p[0] = vint(r, i) % 5; /* ties: the lower index wins */
    p[1] = r;
}
static void c_maxloc(const void *a, void *b)
{
    const int *x = a;
    int *y = b;
    if (x[0] > y[0] || (x[0] == y[0] && x[1] < y[1])) y[0] = x[0], y[1] = x[1];
}
static int e_2int(const void *a, const void *b)
{
    return !memcmp(a, b, 2 * sizeof(int));
}
static void f_dint(void *e, int r, int i)
{
    struct dint *p = e;
    p->v = vint(r, i) % 4;
    p->i = r * 10;
}
static void c_minloc(const void *a, void *b)
{
    const struct dint *x = a;
    struct dint *y = b;
    if (x->v < y->v || (x->v == y->v && x->i < y->i)) *y = *x;
}
static int e_dint(const void *a, const void *b)
{
    const struct dint *x = a, *y = b;
    return x->v == y->v && x->i == y->i;
}

/* A 2x2 matrix product mod 2^32: associative, not commutative. */
static void f_mat(void *e, int r, int i)
{
    unsigned *m = e;
    m[0] = (unsigned)(r + 1);
    m[1] = (unsigned)(i + 2);
    m[2] = (unsigned)(r * 3 + i);
    m[3] = 1;
}
static void matmul(const unsigned *a, unsigned *b)
{
    unsigned t[4] = {a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
                     a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]};
    memcpy(b, t, sizeof t);
}
static void c_mat(const void *a, void *b)
{
    matmul(a, b);
}
static int e_mat(const void *a, const void *b)
{
    return !memcmp(a, b, 4 * sizeof(unsigned));
}
static void user_mat(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    (void)dt;
    for (int k = 0; k < *len; k++) matmul((unsigned *)in + 4 * k, (unsigned *)inout + 4 * k);
}

/* A strided element: ints 0 and 2 of 3 (the middle one is not part of
 * the type and must never be written). */
static void f_vec(void *e, int r, int i)
{
    int *p = e;
    p[0] = vint(r, i);
    p[1] = -7;
    p[2] = r - i;
}
static void c_vec(const void *a, void *b)
{
    const int *x = a;
    int *y = b;
    y[0] += x[0];
    y[2] += x[2];
}
static int e_vec(const void *a, const void *b)
{
    const int *x = a, *y = b;
    return x[0] == y[0] && x[2] == y[2] && y[1] == -7;
}
static void user_vec(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    (void)dt;
    for (int k = 0; k < *len; k++) {
        const int *x = (int *)in + 3 * k;
        int *y = (int *)inout + 3 * k;
        y[0] += x[0];
        y[2] += x[2];
    }
}

static struct rcase cases[] = {
    {"int sum", MPI_INT, MPI_SUM, sizeof(int), f_int, c_isum, e_int},
    {"int max", MPI_INT, MPI_MAX, sizeof(int), f_int, c_imax, e_int},
    {"int prod", MPI_INT, MPI_PROD, sizeof(int), f_int, c_iprod, e_int},
    {"int bxor", MPI_INT, MPI_BXOR, sizeof(int), f_int, c_ibxor, e_int},
    {"double sum", MPI_DOUBLE, MPI_SUM, sizeof(double), f_dbl, c_dsum, e_dbl},
    {"double min", MPI_DOUBLE, MPI_MIN, sizeof(double), f_dbl, c_dmin, e_dbl},
    {"uchar bor", MPI_UNSIGNED_CHAR, MPI_BOR, 1, f_uc, c_ucbor, e_uc},
    {"long long land", MPI_LONG_LONG, MPI_LAND, sizeof(long long), f_ll, c_llland, e_ll},
    {"2int maxloc", MPI_2INT, MPI_MAXLOC, 2 * sizeof(int), f_2int, c_maxloc, e_2int},
    {"double_int minloc", MPI_DOUBLE_INT, MPI_MINLOC, sizeof(struct dint), f_dint, c_minloc,
     e_dint},
    {"matrix (user, non-commutative)", 0, 0, 4 * sizeof(unsigned), f_mat, c_mat, e_mat},
    {"strided (user)", 0, 0, 3 * sizeof(int), f_vec, c_vec, e_vec},
};
#define NCASES (int)(sizeof cases / sizeof cases[0])

static const int counts[] = {0, 1, 7, 1000, 20000};
#define NCOUNTS (int)(sizeof counts / sizeof counts[0])

static char *elem(const struct rcase *k, void *buf, int i)
{
    return (char *)buf + (size_t)i * k->ext;
}

static void fill(const struct rcase *k, void *buf, int n, int rank)
{
    for (int i = 0; i < n; i++) k->fill(elem(k, buf, i), rank, i);
}

/* The reduction over ranks lo..hi of element i. */
static void expect(const struct rcase *k, int lo, int hi, int i, void *out)
{
    char acc[64], tmp[64];
    k->fill(acc, lo, i);
    for (int r = lo + 1; r <= hi; r++) {
        k->fill(tmp, r, i);
        k->combine(acc, tmp);
        memcpy(acc, tmp, k->ext);
    }
    memcpy(out, acc, k->ext);
}

static void check_red(const struct rcase *k, void *buf, int n, int lo, int hi, const char *what)
{
    char e[64];
    for (int i = 0; i < n; i++) {
        expect(k, lo, hi, i, e);
        if (!k->eq(e, elem(k, buf, i))) {
            fprintf(stderr, "FAIL rank %d: %s %s count %d element %d (ranks %d..%d)%s\n",
                    mtest_rank(), what, k->name, n, i, lo, hi, nb ? " nonblocking" : "");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
}

static void *xalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    CHECK(p);
    return p;
}

static void test_reductions(MPI_Comm comm)
{
    int r, p;
    MPI_Comm_rank(comm, &r);
    MPI_Comm_size(comm, &p);
    for (int ki = 0; ki < NCASES; ki++) {
        const struct rcase *k = &cases[ki];
        for (int ci = 0; ci < NCOUNTS; ci++) {
            int n = counts[ci];
            if (quick && n > 1000) continue;
            /* The big count with every case and root is slow and adds
             * nothing the int and matrix cases do not cover. */
            if (n > 1000 && ki != 0 && ki != 10 && ki != 4) continue;
            /* The nonblocking forms run the same schedules: a few cases
             * show they do. */
            if (nb && ki != 0 && ki != 8 && ki != 10 && ki != 11) continue;
            size_t bytes = (size_t)n * k->ext;
            char *a = xalloc(bytes), *b = xalloc(bytes * (size_t)p);
            fill(k, a, n, r);
            fill(k, b, n, r); /* the strided type's gaps hold -7 */
            COLL(Allreduce, Iallreduce, a, b, n, k->type, k->op, comm);
            check_red(k, b, n, 0, p - 1, "Allreduce");
            fill(k, b, n, r);
            COLL(Allreduce, Iallreduce, MPI_IN_PLACE, b, n, k->type, k->op, comm);
            check_red(k, b, n, 0, p - 1, "Allreduce in place");
            for (int root = 0; root < p; root++) {
                if (n > 7 && root != p - 1) continue;
                fill(k, b, n, r);
                COLL(Reduce, Ireduce, a, b, n, k->type, k->op, root, comm);
                if (r == root) check_red(k, b, n, 0, p - 1, "Reduce");
                fill(k, b, n, r);
                COLL(Reduce, Ireduce, r == root ? MPI_IN_PLACE : b, r == root ? b : NULL, n,
                     k->type, k->op, root, comm);
                if (r == root) check_red(k, b, n, 0, p - 1, "Reduce in place");
            }
            fill(k, b, n, r);
            COLL(Scan, Iscan, a, b, n, k->type, k->op, comm);
            check_red(k, b, n, 0, r, "Scan");
            fill(k, b, n, r);
            COLL(Scan, Iscan, MPI_IN_PLACE, b, n, k->type, k->op, comm);
            check_red(k, b, n, 0, r, "Scan in place");
            fill(k, b, n, r);
            COLL(Exscan, Iexscan, a, b, n, k->type, k->op, comm);
            if (r > 0) check_red(k, b, n, 0, r - 1, "Exscan");
            fill(k, b, n, r);
            COLL(Exscan, Iexscan, MPI_IN_PLACE, b, n, k->type, k->op, comm);
            if (r > 0) check_red(k, b, n, 0, r - 1, "Exscan in place");
            /* Reduce_scatter: rank i gets n + i - 1 elements (at least 0)
             * of a vector whose element j is each rank's value j. */
            int *rc = xalloc((size_t)p * sizeof(int)), tot = 0, off = 0;
            for (int i = 0; i < p; i++) {
                rc[i] = n ? n + i - 1 : 0;
                if (i < r) off += rc[i];
                tot += rc[i];
            }
            char *v = xalloc((size_t)tot * k->ext), *out = xalloc((size_t)tot * k->ext);
            fill(k, v, tot, r);
            fill(k, out, tot, r);
            COLL(Reduce_scatter, Ireduce_scatter, v, out, rc, k->type, k->op, comm);
            char e[64];
            for (int i = 0; i < rc[r]; i++) {
                expect(k, 0, p - 1, off + i, e);
                CHECK(k->eq(e, elem(k, out, i)));
            }
            fill(k, out, tot, r);
            COLL(Reduce_scatter, Ireduce_scatter, MPI_IN_PLACE, out, rc, k->type, k->op, comm);
            for (int i = 0; i < rc[r]; i++) {
                expect(k, 0, p - 1, off + i, e);
                CHECK(k->eq(e, elem(k, out, i)));
            }
            free(v);
            free(out);
            free(rc);
            /* Reduce_scatter_block: n elements each. */
            v = xalloc((size_t)n * (size_t)p * k->ext);
            fill(k, v, n * p, r);
            fill(k, b, n, r);
            COLL(Reduce_scatter_block, Ireduce_scatter_block, v, b, n, k->type, k->op, comm);
            for (int i = 0; i < n; i++) {
                expect(k, 0, p - 1, r * n + i, e);
                CHECK(k->eq(e, elem(k, b, i)));
            }
            COLL(Reduce_scatter_block, Ireduce_scatter_block, MPI_IN_PLACE, v, n, k->type, k->op,
                 comm);
            for (int i = 0; i < n; i++) {
                expect(k, 0, p - 1, r * n + i, e);
                CHECK(k->eq(e, elem(k, v, i)));
            }
            free(v);
            free(a);
            free(b);
        }
    }
}

/* --- data movement: ints, and a strided type (every other int) --- */

static MPI_Datatype strided; /* 1 int, extent 2 ints */

static int dval(int from, int to, int i)
{
    return from * 1000003 + to * 1009 + i;
}

/* Element i of a buffer of type t (MPI_INT or strided). */
static int *at(MPI_Datatype t, int *buf, size_t i)
{
    return buf + (t == MPI_INT ? i : 2 * i);
}

static size_t ints(MPI_Datatype t, size_t n)
{
    return t == MPI_INT ? n : 2 * n;
}

static void test_movement(MPI_Comm comm, MPI_Datatype t)
{
    int r, p;
    MPI_Comm_rank(comm, &r);
    MPI_Comm_size(comm, &p);
    for (int ci = 0; ci < NCOUNTS; ci++) {
        int n = counts[ci];
        if (quick && n > 1000) continue;
        size_t N = (size_t)n * (size_t)p;
        int *a = xalloc(ints(t, N) * sizeof(int)), *b = xalloc(ints(t, N) * sizeof(int));
        int *cnt = xalloc((size_t)p * sizeof(int)), *dsp = xalloc((size_t)p * sizeof(int));
        /* v forms: rank i has n - i elements (at least 0), placed in
         * reverse rank order with a gap of 1 between blocks. */
        int vt = 0;
        for (int i = p - 1; i >= 0; i--) {
            cnt[i] = n - i > 0 ? n - i : 0;
            dsp[i] = vt;
            vt += cnt[i] + 1;
        }
        int *va = xalloc(ints(t, (size_t)vt) * sizeof(int)),
            *vb = xalloc(ints(t, (size_t)vt) * sizeof(int));
#define SET(buf, cntn, v)                                                                          \
    for (size_t i_ = 0; i_ < ints(t, (size_t)(cntn)); i_++) (buf)[i_] = (v)
        for (int root = 0; root < p; root++) {
            if (n > 1000 && root != 1 % p) continue;
            /* Bcast */
            SET(a, n, -1);
            for (int i = 0; i < n; i++)
                if (r == root) *at(t, a, (size_t)i) = dval(root, 0, i);
            COLL(Bcast, Ibcast, a, n, t, root, comm);
            for (int i = 0; i < n; i++) CHECK_INT(*at(t, a, (size_t)i), dval(root, 0, i));
            /* Gather, in place at the root too */
            for (int i = 0; i < n; i++) *at(t, a, (size_t)i) = dval(r, root, i);
            SET(b, N, -1);
            COLL(Gather, Igather, a, n, t, b, n, t, root, comm);
            if (r == root)
                for (size_t i = 0; i < N; i++)
                    CHECK_INT(*at(t, b, i), dval((int)(i / (size_t)n), root, (int)(i % (size_t)n)));
            if (r == root) {
                SET(b, N, -1);
                for (int i = 0; i < n; i++) *at(t, b, (size_t)(r * n + i)) = dval(r, root, i);
            }
            COLL(Gather, Igather, r == root ? MPI_IN_PLACE : a, n, t, b, n, t, root, comm);
            if (r == root)
                for (size_t i = 0; i < N; i++)
                    CHECK_INT(*at(t, b, i), dval((int)(i / (size_t)n), root, (int)(i % (size_t)n)));
            /* Gatherv */
            for (int i = 0; i < cnt[r]; i++) *at(t, a, (size_t)i) = dval(r, root, i);
            SET(vb, vt, -1);
            /* The counts matter at the root only: the others pass none. */
            COLL(Gatherv, Igatherv, a, cnt[r], t, vb, r == root ? cnt : NULL,
                 r == root ? dsp : NULL, t, root, comm);
            if (r == root)
                for (int q = 0; q < p; q++) {
                    for (int i = 0; i < cnt[q]; i++)
                        CHECK_INT(*at(t, vb, (size_t)(dsp[q] + i)), dval(q, root, i));
                    CHECK_INT(*at(t, vb, (size_t)(dsp[q] + cnt[q])), -1);
                }
            /* Scatter, in place at the root too */
            if (r == root)
                for (size_t i = 0; i < N; i++)
                    *at(t, b, i) = dval(root, (int)(i / (size_t)n), (int)(i % (size_t)n));
            SET(a, n, -1);
            COLL(Scatter, Iscatter, b, n, t, a, n, t, root, comm);
            for (int i = 0; i < n; i++) CHECK_INT(*at(t, a, (size_t)i), dval(root, r, i));
            COLL(Scatter, Iscatter, b, n, t, r == root ? MPI_IN_PLACE : a, n, t, root, comm);
            for (int i = 0; i < n; i++)
                CHECK_INT(*at(t, r == root ? b + ints(t, (size_t)(r * n)) : a, (size_t)i),
                          dval(root, r, i));
            /* Scatterv */
            if (r == root)
                for (int q = 0; q < p; q++)
                    for (int i = 0; i < cnt[q]; i++)
                        *at(t, va, (size_t)(dsp[q] + i)) = dval(root, q, i);
            SET(a, n, -1);
            COLL(Scatterv, Iscatterv, va, r == root ? cnt : NULL, r == root ? dsp : NULL, t, a,
                 cnt[r], t, root, comm);
            for (int i = 0; i < cnt[r]; i++) CHECK_INT(*at(t, a, (size_t)i), dval(root, r, i));
            if (cnt[r] < n) CHECK_INT(*at(t, a, (size_t)cnt[r]), -1);
        }
        /* Allgather, in place too */
        for (int i = 0; i < n; i++) *at(t, a, (size_t)i) = dval(r, 0, i);
        SET(b, N, -1);
        COLL(Allgather, Iallgather, a, n, t, b, n, t, comm);
        for (size_t i = 0; i < N; i++)
            CHECK_INT(*at(t, b, i), dval((int)(i / (size_t)n), 0, (int)(i % (size_t)n)));
        SET(b, N, -1);
        for (int i = 0; i < n; i++) *at(t, b, (size_t)(r * n + i)) = dval(r, 0, i);
        COLL(Allgather, Iallgather, MPI_IN_PLACE, n, t, b, n, t, comm);
        for (size_t i = 0; i < N; i++)
            CHECK_INT(*at(t, b, i), dval((int)(i / (size_t)n), 0, (int)(i % (size_t)n)));
        /* Allgatherv, in place too */
        for (int i = 0; i < cnt[r]; i++) *at(t, a, (size_t)i) = dval(r, 1, i);
        SET(vb, vt, -1);
        COLL(Allgatherv, Iallgatherv, a, cnt[r], t, vb, cnt, dsp, t, comm);
        for (int q = 0; q < p; q++) {
            for (int i = 0; i < cnt[q]; i++)
                CHECK_INT(*at(t, vb, (size_t)(dsp[q] + i)), dval(q, 1, i));
            CHECK_INT(*at(t, vb, (size_t)(dsp[q] + cnt[q])), -1);
        }
        SET(vb, vt, -1);
        for (int i = 0; i < cnt[r]; i++) *at(t, vb, (size_t)(dsp[r] + i)) = dval(r, 1, i);
        COLL(Allgatherv, Iallgatherv, MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, vb, cnt, dsp, t, comm);
        for (int q = 0; q < p; q++)
            for (int i = 0; i < cnt[q]; i++)
                CHECK_INT(*at(t, vb, (size_t)(dsp[q] + i)), dval(q, 1, i));
        /* Alltoall, in place too */
        for (size_t i = 0; i < N; i++)
            *at(t, a, i) = dval(r, (int)(i / (size_t)n), (int)(i % (size_t)n));
        SET(b, N, -1);
        COLL(Alltoall, Ialltoall, a, n, t, b, n, t, comm);
        for (size_t i = 0; i < N; i++)
            CHECK_INT(*at(t, b, i), dval((int)(i / (size_t)n), r, (int)(i % (size_t)n)));
        COLL(Alltoall, Ialltoall, MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, a, n, t, comm);
        for (size_t i = 0; i < N; i++)
            CHECK_INT(*at(t, a, i), dval((int)(i / (size_t)n), r, (int)(i % (size_t)n)));
        /* Alltoallv: rank q sends (q + i) % 3 + k elements to rank i
         * where k = n / 4, packed in rank order with a gap of 1. */
        {
            int k = n / 4, *sc = xalloc((size_t)p * sizeof(int)),
                *sd = xalloc((size_t)p * sizeof(int)), *rcn = xalloc((size_t)p * sizeof(int)),
                *rd = xalloc((size_t)p * sizeof(int));
            int so = 0, ro = 0;
            for (int i = 0; i < p; i++) {
                sc[i] = (r + i) % 3 + k;
                sd[i] = so;
                so += sc[i] + 1;
                rcn[i] = (i + r) % 3 + k;
                rd[i] = ro;
                ro += rcn[i] + 1;
            }
            int *sv = xalloc(ints(t, (size_t)so) * sizeof(int)),
                *rv = xalloc(ints(t, (size_t)ro) * sizeof(int));
            for (int i = 0; i < p; i++)
                for (int j = 0; j < sc[i]; j++) *at(t, sv, (size_t)(sd[i] + j)) = dval(r, i, j);
            for (size_t j = 0; j < ints(t, (size_t)ro); j++) rv[j] = -1;
            COLL(Alltoallv, Ialltoallv, sv, sc, sd, t, rv, rcn, rd, t, comm);
            for (int i = 0; i < p; i++) {
                for (int j = 0; j < rcn[i]; j++)
                    CHECK_INT(*at(t, rv, (size_t)(rd[i] + j)), dval(i, r, j));
                CHECK_INT(*at(t, rv, (size_t)(rd[i] + rcn[i])), -1);
            }
            /* Alltoallw with byte displacements, the same exchange. */
            MPI_Datatype *ty = xalloc((size_t)p * sizeof *ty);
            int *sdb = xalloc((size_t)p * sizeof(int)), *rdb = xalloc((size_t)p * sizeof(int));
            MPI_Aint lb, ext;
            MPI_Type_get_extent(t, &lb, &ext);
            for (int i = 0; i < p; i++) {
                ty[i] = t;
                sdb[i] = sd[i] * (int)ext;
                rdb[i] = rd[i] * (int)ext;
            }
            for (size_t j = 0; j < ints(t, (size_t)ro); j++) rv[j] = -1;
            COLL(Alltoallw, Ialltoallw, sv, sc, sdb, ty, rv, rcn, rdb, ty, comm);
            for (int i = 0; i < p; i++)
                for (int j = 0; j < rcn[i]; j++)
                    CHECK_INT(*at(t, rv, (size_t)(rd[i] + j)), dval(i, r, j));
            /* In place: the same counts both ways. */
            for (int i = 0; i < p; i++)
                for (int j = 0; j < sc[i]; j++) *at(t, sv, (size_t)(sd[i] + j)) = dval(r, i, j);
            int *sym = xalloc((size_t)p * sizeof(int));
            for (int i = 0; i < p; i++) sym[i] = k + (i == r);
            int *sdd = xalloc((size_t)p * sizeof(int));
            int *buf = xalloc(ints(t, (size_t)(p * (k + 2))) * sizeof(int));
            for (int i = 0, o = 0; i < p; i++) {
                sym[i] = k + ((i + r) % 2);
                sdd[i] = o;
                o += k + 2;
            }
            for (int i = 0; i < p; i++)
                for (int j = 0; j < sym[i]; j++) *at(t, buf, (size_t)(sdd[i] + j)) = dval(r, i, j);
            COLL(Alltoallv, Ialltoallv, MPI_IN_PLACE, NULL, NULL, MPI_DATATYPE_NULL, buf, sym, sdd,
                 t, comm);
            for (int i = 0; i < p; i++)
                for (int j = 0; j < sym[i]; j++)
                    CHECK_INT(*at(t, buf, (size_t)(sdd[i] + j)), dval(i, r, j));
            free(buf);
            free(sdd);
            free(sym);
            free(ty);
            free(sdb);
            free(rdb);
            free(sv);
            free(rv);
            free(sc);
            free(sd);
            free(rcn);
            free(rd);
        }
        COLL(Barrier, Ibarrier, comm);
        free(a);
        free(b);
        free(va);
        free(vb);
        free(cnt);
        free(dsp);
    }
}

/* Several nonblocking collectives in flight at once on one communicator,
 * completed in reverse order; and one finished by MPI_Test alone while
 * rank 0 starts late. */
static void test_progress(MPI_Comm comm)
{
    int r, p;
    MPI_Comm_rank(comm, &r);
    MPI_Comm_size(comm, &p);
    int x = r + 1, sum = 0, bc[64], *ag = xalloc((size_t)p * 64 * sizeof(int));
    for (int i = 0; i < 64; i++) bc[i] = r == 0 ? i : -1;
    int mine[64];
    for (int i = 0; i < 64; i++) mine[i] = r * 64 + i;
    MPI_Request rq[4];
    CHECK_OK(MPI_Iallreduce(&x, &sum, 1, MPI_INT, MPI_SUM, comm, &rq[0]));
    CHECK_OK(MPI_Ibcast(bc, 64, MPI_INT, 0, comm, &rq[1]));
    CHECK_OK(MPI_Iallgather(mine, 64, MPI_INT, ag, 64, MPI_INT, comm, &rq[2]));
    CHECK_OK(MPI_Ibarrier(comm, &rq[3]));
    for (int i = 3; i >= 0; i--) CHECK_OK(MPI_Wait(&rq[i], MPI_STATUS_IGNORE));
    CHECK_INT(sum, p * (p + 1) / 2);
    for (int i = 0; i < 64; i++) CHECK_INT(bc[i], i);
    for (int i = 0; i < 64 * p; i++) CHECK_INT(ag[i], i);
    free(ag);
    /* Rank 0 computes before joining: the others' MPI_Test loops must
     * keep their parts going and then finish. */
    if (r == 0) {
        double t0 = MPI_Wtime();
        while (MPI_Wtime() - t0 < 0.02) continue;
    }
    int big = 4096, *v = xalloc((size_t)big * sizeof(int)), *w = xalloc((size_t)big * sizeof(int));
    for (int i = 0; i < big; i++) v[i] = r + i;
    MPI_Request q;
    CHECK_OK(MPI_Iallreduce(v, w, big, MPI_INT, MPI_SUM, comm, &q));
    finish(&q);
    for (int i = 0; i < big; i++) CHECK_INT(w[i], p * (p - 1) / 2 + p * i);
    free(v);
    free(w);
}

static void test_errors(void)
{
    MPI_Comm c;
    CHECK_OK(MPI_Comm_dup(MPI_COMM_WORLD, &c));
    CHECK_OK(MPI_Comm_set_errhandler(c, MPI_ERRORS_RETURN));
    int p, a[4] = {0}, b[4 * 64];
    MPI_Comm_size(c, &p);
    CHECK_CLASS(MPI_Bcast(a, 1, MPI_INT, p, c), MPI_ERR_ROOT);
    CHECK_CLASS(MPI_Bcast(a, 1, MPI_INT, -1, c), MPI_ERR_ROOT);
    CHECK_CLASS(MPI_Bcast(a, -1, MPI_INT, 0, c), MPI_ERR_COUNT);
    CHECK_CLASS(MPI_Bcast(a, 1, MPI_DATATYPE_NULL, 0, c), MPI_ERR_TYPE);
    CHECK_CLASS(MPI_Bcast(MPI_IN_PLACE, 1, MPI_INT, 0, c), MPI_ERR_BUFFER);
    CHECK_CLASS(MPI_Bcast(NULL, 1, MPI_INT, 0, c), MPI_ERR_BUFFER);
    CHECK_CLASS(MPI_Allreduce(a, b, 1, MPI_INT, MPI_OP_NULL, c), MPI_ERR_OP);
    CHECK_CLASS(MPI_Allreduce(a, b, 1, MPI_DOUBLE, MPI_BAND, c), MPI_ERR_OP);
    CHECK_CLASS(MPI_Allreduce(a, b, 1, MPI_INT, MPI_MAXLOC, c), MPI_ERR_OP);
    CHECK_CLASS(MPI_Allreduce(a, b, 1, MPI_INT, MPI_REPLACE, c), MPI_ERR_OP);
    CHECK_CLASS(MPI_Allreduce(a, a, 1, MPI_INT, MPI_SUM, c), MPI_ERR_BUFFER);
    CHECK_CLASS(MPI_Allreduce(a, MPI_IN_PLACE, 1, MPI_INT, MPI_SUM, c), MPI_ERR_BUFFER);
    CHECK_CLASS(MPI_Iallreduce(a, b, 1, MPI_INT, MPI_SUM, c, NULL), MPI_ERR_ARG);
    CHECK_CLASS(MPI_Reduce(a, b, 1, MPI_INT, MPI_SUM, p + 3, c), MPI_ERR_ROOT);
    CHECK_CLASS(MPI_Gather(a, 1, MPI_INT, b, 1, MPI_INT, -2, c), MPI_ERR_ROOT);
    CHECK_CLASS(MPI_Scatter(a, 1, MPI_INT, b, -1, MPI_INT, 0, c), MPI_ERR_COUNT);
    CHECK_CLASS(MPI_Allgather(a, 1, MPI_INT, b, -3, MPI_INT, c), MPI_ERR_COUNT);
    CHECK_CLASS(MPI_Alltoall(a, 1, MPI_INT, b, 1, MPI_DATATYPE_NULL, c), MPI_ERR_TYPE);
    CHECK_CLASS(MPI_Alltoallv(a, NULL, NULL, MPI_INT, b, NULL, NULL, MPI_INT, c), MPI_ERR_ARG);
    CHECK_CLASS(MPI_Reduce_scatter_block(a, b, -1, MPI_INT, MPI_SUM, c), MPI_ERR_COUNT);
    CHECK_CLASS(MPI_Scan(a, b, 1, MPI_INT, (MPI_Op)12345, c), MPI_ERR_OP);
    /* After the errors the communicator still works: no operation
     * started. */
    int x = 1, s = 0;
    CHECK_OK(MPI_Allreduce(&x, &s, 1, MPI_INT, MPI_SUM, c));
    CHECK_INT(s, p);
    CHECK_OK(MPI_Comm_free(&c));
}

static void test_reduce_local(void)
{
    int a[3] = {5, -2, 9}, b[3] = {3, 4, 9};
    CHECK_OK(MPI_Reduce_local(a, b, 3, MPI_INT, MPI_MIN));
    CHECK(b[0] == 3 && b[1] == -2 && b[2] == 9);
    unsigned short us[2] = {0xf0f0, 1}, ut[2] = {0xff00, 2};
    CHECK_OK(MPI_Reduce_local(us, ut, 2, MPI_UNSIGNED_SHORT, MPI_BAND));
    CHECK(ut[0] == 0xf000 && ut[1] == 0);
    _Bool x[2] = {1, 0}, y[2] = {1, 1};
    CHECK_OK(MPI_Reduce_local(x, y, 2, MPI_C_BOOL, MPI_LXOR));
    CHECK(!y[0] && y[1]);
    double _Complex z[1] = {1 + 2 * 1.0i}, w[1] = {3 - 1.0i};
    CHECK_OK(MPI_Reduce_local(z, w, 1, MPI_C_DOUBLE_COMPLEX, MPI_PROD));
    CHECK(w[0] == (1 + 2 * 1.0i) * (3 - 1.0i));
    int8_t i8[1] = {100}, j8[1] = {100};
    CHECK_OK(MPI_Reduce_local(i8, j8, 1, MPI_INT8_T, MPI_SUM)); /* wraps */
    CHECK_INT(j8[0], (int8_t)(uint8_t)200);
    long double ld[1] = {2}, le[1] = {3};
    CHECK_OK(MPI_Reduce_local(ld, le, 1, MPI_LONG_DOUBLE, MPI_PROD));
    CHECK(le[0] == 6);
    struct {
        short v;
        int i;
    } sa[1] = {{4, 1}}, sb[1] = {{4, 0}};
    CHECK_OK(MPI_Reduce_local(sa, sb, 1, MPI_SHORT_INT, MPI_MAXLOC));
    CHECK(sb[0].v == 4 && sb[0].i == 0);
    CHECK_OK(MPI_Reduce_local(a, b, 3, MPI_INT, MPI_REPLACE));
    CHECK(b[0] == 5 && b[1] == -2 && b[2] == 9);
    b[0] = 0;
    CHECK_OK(MPI_Reduce_local(a, b, 3, MPI_INT, MPI_NO_OP));
    CHECK(b[0] == 0);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    CHECK_CLASS(MPI_Reduce_local(a, b, 3, MPI_CHAR, MPI_SUM), MPI_ERR_OP);
    CHECK_CLASS(MPI_Reduce_local(a, b, -1, MPI_INT, MPI_SUM), MPI_ERR_COUNT);
    CHECK_CLASS(MPI_Reduce_local(a, b, 1, MPI_FLOAT, MPI_LOR), MPI_ERR_OP);
    MPI_Request rq;
    CHECK_CLASS(MPI_Ibarrier(MPI_COMM_NULL, &rq), MPI_ERR_COMM);
    MPI_Op sum = MPI_SUM;
    CHECK_CLASS(MPI_Op_free(&sum), MPI_ERR_OP);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    int commute = -1;
    CHECK_OK(MPI_Op_commutative(MPI_SUM, &commute));
    CHECK_INT(commute, 1);
    CHECK_OK(MPI_Op_commutative(cases[10].op, &commute));
    CHECK_INT(commute, 0);
}

/* Short blocking collectives skip the schedule when their buffers are
 * contiguous: the two ways must speak the same messages, since members
 * may describe the same bytes by different types (a strided type at
 * some, plain ints at others), and a blocking collective may run while
 * nonblocking ones of the same communicator are in flight. */
static void test_mixed(MPI_Comm comm)
{
    int r, p;
    MPI_Comm_rank(comm, &r);
    MPI_Comm_size(comm, &p);
    int a[2 * 64];
    for (int root = 0; root < p; root++) {
        MPI_Datatype t = (r + root) % 2 ? strided : MPI_INT;
        for (int i = 0; i < 64; i++) *at(t, a, (size_t)i) = r == root ? dval(root, 1, i) : -1;
        CHECK_OK(MPI_Bcast(a, 64, t, root, comm));
        for (int i = 0; i < 64; i++) CHECK_INT(*at(t, a, (size_t)i), dval(root, 1, i));
    }
    /* Alltoall and allgather, 3 elements a block: plain ints at even ranks, the
     * strided type at odd ones. */
    MPI_Datatype t = r % 2 ? strided : MPI_INT;
    int *sa = xalloc(ints(t, (size_t)p * 3) * sizeof(int)),
        *ra = xalloc(ints(t, (size_t)p * 3) * sizeof(int));
    for (int i = 0; i < p * 3; i++) {
        *at(t, sa, (size_t)i) = dval(r, i / 3, i % 3);
        *at(t, ra, (size_t)i) = -1;
    }
    CHECK_OK(MPI_Alltoall(sa, 3, t, ra, 3, t, comm));
    for (int i = 0; i < p * 3; i++) CHECK_INT(*at(t, ra, (size_t)i), dval(i / 3, r, i % 3));
    for (int i = 0; i < p * 3; i++) *at(t, ra, (size_t)i) = -1;
    CHECK_OK(MPI_Allgather(sa, 3, t, ra, 3, t, comm));
    for (int i = 0; i < p * 3; i++) CHECK_INT(*at(t, ra, (size_t)i), dval(i / 3, 0, i % 3));
    free(sa);
    free(ra);
    int x = r + 1, s1 = 0, s2 = 0, s3 = 0, red = 0, bc[8];
    MPI_Request q[2];
    CHECK_OK(MPI_Iallreduce(&x, &s1, 1, MPI_INT, MPI_SUM, comm, &q[0]));
    CHECK_OK(MPI_Ibarrier(comm, &q[1]));
    CHECK_OK(MPI_Allreduce(&x, &s2, 1, MPI_INT, MPI_SUM, comm));
    CHECK_OK(MPI_Barrier(comm));
    for (int i = 0; i < 8; i++) bc[i] = r == p - 1 ? i * 3 : -1;
    CHECK_OK(MPI_Bcast(bc, 8, MPI_INT, p - 1, comm));
    CHECK_OK(MPI_Reduce(&x, &red, 1, MPI_INT, MPI_MAX, p - 1, comm));
    CHECK_OK(MPI_Allreduce(MPI_IN_PLACE, &x, 1, MPI_INT, MPI_PROD, comm));
    CHECK_OK(MPI_Waitall(2, q, MPI_STATUSES_IGNORE));
    CHECK_OK(MPI_Iallreduce(&s2, &s3, 1, MPI_INT, MPI_MAX, comm, &q[0]));
    CHECK_OK(MPI_Wait(&q[0], MPI_STATUS_IGNORE));
    int fact = 1;
    for (int i = 2; i <= p; i++) fact *= i;
    CHECK_INT(s1, p * (p + 1) / 2);
    CHECK_INT(s2, p * (p + 1) / 2);
    CHECK_INT(s3, p * (p + 1) / 2);
    CHECK_INT(x, fact);
    if (r == p - 1) CHECK_INT(red, p);
    for (int i = 0; i < 8; i++) CHECK_INT(bc[i], i * 3);
}

static void run_all(MPI_Comm comm)
{
    test_mixed(comm);
    for (nb = 0; nb < 2; nb++) {
        test_reductions(comm);
        test_movement(comm, MPI_INT);
        test_movement(comm, strided);
    }
    test_progress(comm);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    quick = getenv("COLL_QUICK") != NULL;
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Datatype mat, vec, v1;
    CHECK_OK(MPI_Type_contiguous(4, MPI_UNSIGNED, &mat));
    CHECK_OK(MPI_Type_commit(&mat));
    CHECK_OK(MPI_Type_vector(2, 1, 2, MPI_INT, &v1));
    CHECK_OK(MPI_Type_create_resized(v1, 0, 3 * sizeof(int), &vec));
    CHECK_OK(MPI_Type_commit(&vec));
    CHECK_OK(MPI_Type_free(&v1));
    CHECK_OK(MPI_Type_create_resized(MPI_INT, 0, 2 * sizeof(int), &strided));
    CHECK_OK(MPI_Type_commit(&strided));
    cases[10].type = mat;
    CHECK_OK(MPI_Op_create(user_mat, 0, &cases[10].op));
    cases[11].type = vec;
    CHECK_OK(MPI_Op_create(user_vec, 1, &cases[11].op));

    test_reduce_local();
    test_errors();
    run_all(MPI_COMM_WORLD);
    /* Sizes 1 .. size-1: the first k ranks. */
    for (int k = 1; k < size; k++) {
        MPI_Comm c;
        CHECK_OK(MPI_Comm_split(MPI_COMM_WORLD, rank < k ? 0 : MPI_UNDEFINED, rank, &c));
        if (c != MPI_COMM_NULL) {
            run_all(c);
            CHECK_OK(MPI_Comm_free(&c));
        }
    }
    /* Reordered: odd and even world ranks, in reverse order. */
    MPI_Comm c;
    CHECK_OK(MPI_Comm_split(MPI_COMM_WORLD, rank % 2, size - rank, &c));
    run_all(c);
    CHECK_OK(MPI_Comm_free(&c));

    CHECK_OK(MPI_Op_free(&cases[10].op));
    CHECK_OK(MPI_Op_free(&cases[11].op));
    CHECK(cases[10].op == MPI_OP_NULL);
    MPI_Type_free(&mat);
    MPI_Type_free(&vec);
    MPI_Type_free(&strided);
    mtest_done("coll");
    MPI_Finalize();
    return 0;
}
