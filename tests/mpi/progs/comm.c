/* Communicators and groups: dup, idup (overlapping other traffic), split,
 * split_type, create, compare, names, free; messages never cross
 * communicators; groups built every way, translated and compared;
 * attributes with copy and delete callbacks. Any number of ranks. */
#include <string.h>

#include "mtest.h"

static int rank, size;

/* The same tag and peers on two communicators over the same processes:
 * each receive gets its own communicator's message, whatever the order of
 * sending. */
static void isolation(MPI_Comm a, MPI_Comm b)
{
    /* A fresh tag per call: a wildcard receive must not take the next
     * call's message. */
    static int tag;
    tag++;
    int r, n;
    MPI_Comm_rank(a, &r);
    MPI_Comm_size(a, &n);
    int to = (r + 1) % n, from = (r - 1 + n) % n, va = 1000 + r, vb = 2000 + r, got;
    /* The same two processes, as ranks of b. */
    MPI_Group ga, gb;
    int in_a[2] = {to, from}, in_b[2];
    CHECK_OK(MPI_Comm_group(a, &ga));
    CHECK_OK(MPI_Comm_group(b, &gb));
    CHECK_OK(MPI_Group_translate_ranks(ga, 2, in_a, gb, in_b));
    CHECK_OK(MPI_Group_free(&ga));
    CHECK_OK(MPI_Group_free(&gb));
    MPI_Request q[2];
    MPI_Status st;
    CHECK_OK(MPI_Isend(&vb, 1, MPI_INT, in_b[0], tag, b, &q[0]));
    CHECK_OK(MPI_Isend(&va, 1, MPI_INT, to, tag, a, &q[1]));
    CHECK_OK(MPI_Recv(&got, 1, MPI_INT, from, tag, a, MPI_STATUS_IGNORE));
    CHECK_INT(got, 1000 + from);
    CHECK_OK(MPI_Recv(&got, 1, MPI_INT, MPI_ANY_SOURCE, tag, b, &st));
    CHECK_INT(got, 2000 + from);
    CHECK_INT(st.MPI_SOURCE, in_b[1]);
    CHECK_OK(MPI_Waitall(2, q, MPI_STATUSES_IGNORE));
}

static void dup_compare_name(void)
{
    MPI_Comm d, d2;
    CHECK_OK(MPI_Comm_dup(MPI_COMM_WORLD, &d));
    int res, n, r;
    CHECK_OK(MPI_Comm_compare(MPI_COMM_WORLD, d, &res));
    CHECK_INT(res, MPI_CONGRUENT);
    CHECK_OK(MPI_Comm_compare(d, d, &res));
    CHECK_INT(res, MPI_IDENT);
    CHECK_OK(MPI_Comm_size(d, &n));
    CHECK_OK(MPI_Comm_rank(d, &r));
    CHECK(n == size && r == rank);
    char name[MPI_MAX_OBJECT_NAME];
    int len;
    CHECK_OK(MPI_Comm_get_name(MPI_COMM_WORLD, name, &len));
    CHECK(!strcmp(name, "MPI_COMM_WORLD") && len == 14);
    CHECK_OK(MPI_Comm_get_name(d, name, &len));
    CHECK_INT(len, 0);
    CHECK_OK(MPI_Comm_set_name(d, "dup of world"));
    CHECK_OK(MPI_Comm_get_name(d, name, &len));
    CHECK(!strcmp(name, "dup of world"));
    isolation(MPI_COMM_WORLD, d);
    CHECK_OK(MPI_Comm_dup(d, &d2));
    isolation(d, d2);
    int inter;
    CHECK_OK(MPI_Comm_test_inter(d2, &inter));
    CHECK(!inter);
    CHECK_OK(MPI_Comm_free(&d2));
    CHECK(d2 == MPI_COMM_NULL);
    CHECK_OK(MPI_Comm_free(&d));
    CHECK_OK(MPI_Comm_compare(MPI_COMM_WORLD, MPI_COMM_SELF, &res));
    CHECK_INT(res, size == 1 ? MPI_CONGRUENT : MPI_UNEQUAL);
    /* Self is a communicator of one. */
    int v = 42, w = 0;
    CHECK_OK(
        MPI_Sendrecv(&v, 1, MPI_INT, 0, 1, &w, 1, MPI_INT, 0, 1, MPI_COMM_SELF, MPI_STATUS_IGNORE));
    CHECK_INT(w, 42);
}

static void split(void)
{
    /* Even and odd ranks, ordered by descending rank. */
    MPI_Comm s;
    CHECK_OK(MPI_Comm_split(MPI_COMM_WORLD, rank % 2, -rank, &s));
    int n, r;
    CHECK_OK(MPI_Comm_size(s, &n));
    CHECK_OK(MPI_Comm_rank(s, &r));
    int same = (size - rank % 2 + 1) / 2;
    CHECK_INT(n, same);
    /* Highest world rank of my color is rank 0. */
    int top = (size - 1) % 2 == rank % 2 ? size - 1 : size - 2;
    CHECK_INT(r, (top - rank) / 2);
    /* Wildcard receives report ranks in the new communicator. */
    if (n > 1) {
        int to = (r + 1) % n, v = rank, got;
        MPI_Status st;
        CHECK_OK(MPI_Sendrecv(&v, 1, MPI_INT, to, 5, &got, 1, MPI_INT, MPI_ANY_SOURCE, 5, s, &st));
        CHECK_INT(st.MPI_SOURCE, (r - 1 + n) % n);
        MPI_Group g, wg;
        CHECK_OK(MPI_Comm_group(s, &g));
        CHECK_OK(MPI_Comm_group(MPI_COMM_WORLD, &wg));
        int src = st.MPI_SOURCE, wsrc;
        CHECK_OK(MPI_Group_translate_ranks(g, 1, &src, wg, &wsrc));
        CHECK_INT(got, wsrc);
        CHECK_OK(MPI_Group_free(&g));
        CHECK_OK(MPI_Group_free(&wg));
    }
    /* Color MPI_UNDEFINED: no communicator. */
    MPI_Comm u;
    CHECK_OK(MPI_Comm_split(s, r == 0 ? MPI_UNDEFINED : 1, 0, &u));
    if (r == 0)
        CHECK(u == MPI_COMM_NULL);
    else {
        CHECK_OK(MPI_Comm_size(u, &n));
        CHECK_INT(n, same - 1);
        CHECK_OK(MPI_Comm_free(&u));
    }
    CHECK_OK(MPI_Comm_free(&s));
    /* Everyone on this machine shares a node. */
    CHECK_OK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &s));
    CHECK_OK(MPI_Comm_size(s, &n));
    CHECK_INT(n, size);
    CHECK_OK(MPI_Comm_free(&s));
    CHECK_OK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_UNDEFINED, 0, MPI_INFO_NULL, &s));
    CHECK(s == MPI_COMM_NULL);
}

static void groups_and_create(void)
{
    MPI_Group w, even, odd, u, x, d, e;
    CHECK_OK(MPI_Comm_group(MPI_COMM_WORLD, &w));
    int n, r, res;
    CHECK_OK(MPI_Group_size(w, &n));
    CHECK_OK(MPI_Group_rank(w, &r));
    CHECK(n == size && r == rank);
    int ranges[1][3] = {{0, size - 1, 2}};
    CHECK_OK(MPI_Group_range_incl(w, 1, ranges, &even));
    CHECK_OK(MPI_Group_range_excl(w, 1, ranges, &odd));
    CHECK_OK(MPI_Group_size(even, &n));
    CHECK_INT(n, (size + 1) / 2);
    CHECK_OK(MPI_Group_rank(odd, &r));
    CHECK_INT(r, rank % 2 ? rank / 2 : MPI_UNDEFINED);
    CHECK_OK(MPI_Group_union(odd, even, &u));
    CHECK_OK(MPI_Group_compare(u, w, &res));
    CHECK_INT(res, size > 1 ? MPI_SIMILAR : MPI_IDENT);
    CHECK_OK(MPI_Group_union(even, odd, &x));
    CHECK_OK(MPI_Group_compare(x, w, &res));
    CHECK_INT(res, size > 2 ? MPI_SIMILAR : MPI_IDENT);
    CHECK_OK(MPI_Group_free(&x));
    CHECK_OK(MPI_Group_intersection(even, odd, &x));
    CHECK(x == MPI_GROUP_EMPTY);
    CHECK_OK(MPI_Group_difference(w, odd, &d));
    CHECK_OK(MPI_Group_compare(d, even, &res));
    CHECK_INT(res, MPI_IDENT);
    /* Reverse order by incl; translate. */
    int rev[64], back[64], all[64];
    for (int i = 0; i < size; i++) {
        rev[i] = size - 1 - i;
        all[i] = i;
    }
    CHECK_OK(MPI_Group_incl(w, size, rev, &e));
    CHECK_OK(MPI_Group_translate_ranks(w, size, all, e, back));
    for (int i = 0; i < size; i++) CHECK_INT(back[i], size - 1 - i);
    int pn = MPI_PROC_NULL;
    CHECK_OK(MPI_Group_translate_ranks(w, 1, &pn, e, back));
    CHECK_INT(back[0], MPI_PROC_NULL);
    /* The ranks not in odd, through excl. */
    int odds[64], k = 0;
    for (int i = 1; i < size; i += 2) odds[k++] = i;
    MPI_Group ex;
    CHECK_OK(MPI_Group_excl(w, k, odds, &ex));
    CHECK_OK(MPI_Group_compare(ex, even, &res));
    CHECK_INT(res, MPI_IDENT);
    CHECK_OK(MPI_Group_free(&ex));
    /* A communicator of the reversed group: ranks reversed. */
    MPI_Comm c;
    CHECK_OK(MPI_Comm_create(MPI_COMM_WORLD, e, &c));
    CHECK_OK(MPI_Comm_rank(c, &r));
    CHECK_INT(r, size - 1 - rank);
    isolation(c, MPI_COMM_WORLD);
    CHECK_OK(MPI_Comm_free(&c));
    /* Of the even ranks only. */
    CHECK_OK(MPI_Comm_create(MPI_COMM_WORLD, even, &c));
    if (rank % 2) {
        CHECK(c == MPI_COMM_NULL);
    } else {
        CHECK_OK(MPI_Comm_rank(c, &r));
        CHECK_INT(r, rank / 2);
        CHECK_OK(MPI_Comm_free(&c));
    }
    MPI_Group gs[] = {w, even, odd, u, x, d, e};
    for (size_t i = 0; i < sizeof gs / sizeof gs[0]; i++) {
        if (gs[i] == MPI_GROUP_EMPTY) continue;
        CHECK_OK(MPI_Group_free(&gs[i]));
        CHECK(gs[i] == MPI_GROUP_NULL);
    }
}

/* Communicators made without waiting: idup while point-to-point traffic
 * (and a blocking dup) go on. */
static void idup(void)
{
    MPI_Comm a, b, c;
    MPI_Request q[2];
    CHECK_OK(MPI_Comm_idup(MPI_COMM_WORLD, &a, &q[0]));
    CHECK_OK(MPI_Comm_idup(MPI_COMM_WORLD, &b, &q[1]));
    /* A synchronous exchange in between: every rank must still help the
     * idups along while it waits here. */
    int to = (rank + 1) % size, from = (rank - 1 + size) % size, v = rank, got;
    MPI_Request s;
    CHECK_OK(MPI_Issend(&v, 1, MPI_INT, to, 3, MPI_COMM_WORLD, &s));
    CHECK_OK(MPI_Recv(&got, 1, MPI_INT, from, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    CHECK_OK(MPI_Wait(&s, MPI_STATUS_IGNORE));
    CHECK_OK(MPI_Comm_dup(MPI_COMM_WORLD, &c));
    CHECK_OK(MPI_Waitall(2, q, MPI_STATUSES_IGNORE));
    isolation(a, b);
    isolation(b, c);
    isolation(c, a);
    CHECK_OK(MPI_Comm_free(&a));
    CHECK_OK(MPI_Comm_free(&b));
    CHECK_OK(MPI_Comm_free(&c));
}

static int copies, deletes;

static int copy_fn(MPI_Comm comm, int key, void *extra, void *in, void *out, int *flag)
{
    (void)comm;
    (void)key;
    copies++;
    CHECK(extra == &copies);
    *(void **)out = (void *)((char *)in + 1);
    *flag = 1;
    return MPI_SUCCESS;
}

static int delete_fn(MPI_Comm comm, int key, void *val, void *extra)
{
    (void)comm;
    (void)key;
    (void)val;
    (void)extra;
    deletes++;
    return MPI_SUCCESS;
}

static void attributes(void)
{
    int key, key2, flag;
    void *val;
    CHECK_OK(MPI_Comm_create_keyval(copy_fn, delete_fn, &key, &copies));
    CHECK_OK(MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, MPI_COMM_NULL_DELETE_FN, &key2, NULL));
    MPI_Comm d, dd;
    CHECK_OK(MPI_Comm_dup(MPI_COMM_WORLD, &d));
    static char base[4];
    CHECK_OK(MPI_Comm_set_attr(d, key, base));
    CHECK_OK(MPI_Comm_set_attr(d, key2, base + 3));
    CHECK_OK(MPI_Comm_get_attr(d, key, &val, &flag));
    CHECK(flag && val == base);
    CHECK_OK(MPI_Comm_get_attr(MPI_COMM_WORLD, key, &val, &flag));
    CHECK(!flag);
    /* Dup copies through copy_fn; key2 (null copy) is not copied. */
    CHECK_OK(MPI_Comm_dup(d, &dd));
    CHECK_INT(copies, 1);
    CHECK_OK(MPI_Comm_get_attr(dd, key, &val, &flag));
    CHECK(flag && val == base + 1);
    CHECK_OK(MPI_Comm_get_attr(dd, key2, &val, &flag));
    CHECK(!flag);
    /* Replacing deletes the old value. */
    CHECK_OK(MPI_Comm_set_attr(d, key, base + 2));
    CHECK_INT(deletes, 1);
    CHECK_OK(MPI_Comm_delete_attr(d, key));
    CHECK_INT(deletes, 2);
    CHECK_OK(MPI_Comm_get_attr(d, key, &val, &flag));
    CHECK(!flag);
    /* Freeing the keyval leaves attributes set with it working. */
    CHECK_OK(MPI_Comm_free_keyval(&key));
    CHECK(key == MPI_KEYVAL_INVALID);
    CHECK_OK(MPI_Comm_free(&dd));
    CHECK_INT(deletes, 3);
    CHECK_OK(MPI_Comm_free(&d));
    CHECK_OK(MPI_Comm_free_keyval(&key2));
    /* The MPI-1 names. */
    int k1;
    CHECK_OK(MPI_Keyval_create(MPI_DUP_FN, MPI_NULL_DELETE_FN, &k1, NULL));
    CHECK_OK(MPI_Attr_put(MPI_COMM_WORLD, k1, base));
    CHECK_OK(MPI_Comm_dup(MPI_COMM_WORLD, &d));
    CHECK_OK(MPI_Attr_get(d, k1, &val, &flag));
    CHECK(flag && val == base);
    CHECK_OK(MPI_Attr_delete(MPI_COMM_WORLD, k1));
    CHECK_OK(MPI_Comm_free(&d));
    CHECK_OK(MPI_Keyval_free(&k1));
    /* Predefined attributes (on MPI_COMM_WORLD, where the standard puts them). */
    int *ub;
    CHECK_OK(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &ub, &flag));
    CHECK(flag && *ub >= 32767);
    CHECK_OK(MPI_Attr_get(MPI_COMM_WORLD, MPI_WTIME_IS_GLOBAL, &ub, &flag));
    CHECK(flag && (*ub == 0 || *ub == 1));
    CHECK_OK(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_HOST, &ub, &flag));
    CHECK(flag && *ub == MPI_PROC_NULL);
    CHECK_OK(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_IO, &ub, &flag));
    CHECK(flag && *ub == MPI_ANY_SOURCE);
}

/* Many communicators in a row, freed in another order: ids stay unique. */
static void many(void)
{
    enum { K = 40 };
    MPI_Comm c[K];
    for (int i = 0; i < K; i++) {
        MPI_Comm parent = i ? c[i / 2] : MPI_COMM_WORLD;
        if (i % 3 == 2)
            CHECK_OK(MPI_Comm_split(parent, 0, i % 2 ? rank : -rank, &c[i]));
        else
            CHECK_OK(MPI_Comm_dup(parent, &c[i]));
    }
    for (int i = 1; i < K; i++) isolation(c[i - 1], c[i]);
    for (int i = K - 1; i >= 0; i -= 2) CHECK_OK(MPI_Comm_free(&c[i]));
    for (int i = K - 2; i >= 0; i -= 2) CHECK_OK(MPI_Comm_free(&c[i]));
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    CHECK(size <= 64);
    dup_compare_name();
    split();
    groups_and_create();
    idup();
    attributes();
    many();
    mtest_done("comm");
    MPI_Finalize();
    return 0;
}
