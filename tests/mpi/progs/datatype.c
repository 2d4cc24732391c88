/* Derived datatypes against layouts computed by hand: size, bounds and
 * true bounds, and which elements of an array each type picks, through
 * MPI_Pack and through real messages (non-contiguous on both sides, eager
 * and rendezvous), partial receives with MPI_Get_elements, pair types, a
 * type freed while a receive still uses it. Runs on 2 or more ranks. */
#include <stddef.h>
#include <string.h>

#include "mtest.h"

static int rank, size;

static void check_shape(MPI_Datatype t, int sz, MPI_Aint lb, MPI_Aint extent, MPI_Aint true_lb,
                        MPI_Aint true_extent)
{
    int s;
    MPI_Aint l, e;
    CHECK_OK(MPI_Type_size(t, &s));
    CHECK_INT(s, sz);
    CHECK_OK(MPI_Type_get_extent(t, &l, &e));
    CHECK_INT(l, lb);
    CHECK_INT(e, extent);
    CHECK_OK(MPI_Type_get_true_extent(t, &l, &e));
    CHECK_INT(l, true_lb);
    CHECK_INT(e, true_extent);
    MPI_Count cs, cl, ce;
    CHECK_OK(MPI_Type_size_x(t, &cs));
    CHECK_OK(MPI_Type_get_extent_x(t, &cl, &ce));
    CHECK(cs == sz && cl == lb && ce == extent);
    CHECK_OK(MPI_Type_get_true_extent_x(t, &cl, &ce));
    CHECK(cl == true_lb && ce == true_extent);
}

/* Pack count elements of t from an int array a[i] = i and compare with
 * the expected indices. */
static void check_picks_int(MPI_Datatype t, int count, const int *want, int n)
{
    int a[200], out[200], pos = 0, psize;
    for (int i = 0; i < 200; i++) a[i] = i;
    CHECK_OK(MPI_Pack_size(count, t, MPI_COMM_WORLD, &psize));
    CHECK_INT(psize, n * (int)sizeof(int));
    CHECK_OK(MPI_Pack(a, count, t, out, sizeof out, &pos, MPI_COMM_WORLD));
    CHECK_INT(pos, n * (int)sizeof(int));
    for (int i = 0; i < n; i++) CHECK_INT(out[i], want[i]);
    /* Unpacking puts them back where they came from, and nowhere else. */
    int b[200];
    for (int i = 0; i < 200; i++) b[i] = -1;
    pos = 0;
    CHECK_OK(MPI_Unpack(out, sizeof out, &pos, b, count, t, MPI_COMM_WORLD));
    CHECK_INT(pos, n * (int)sizeof(int));
    char picked[200] = {0};
    int distinct = 0, touched = 0;
    for (int i = 0; i < n; i++) distinct += !picked[want[i]]++;
    for (int i = 0; i < 200; i++)
        if (b[i] != -1) {
            CHECK_INT(b[i], i);
            touched++;
        }
    CHECK_INT(touched, distinct);
}

static void predefined(void)
{
    check_shape(MPI_INT, sizeof(int), 0, sizeof(int), 0, sizeof(int));
    check_shape(MPI_C_BOOL, sizeof(_Bool), 0, sizeof(_Bool), 0, sizeof(_Bool));
    check_shape(MPI_INT64_T, 8, 0, 8, 0, 8);
    check_shape(MPI_C_DOUBLE_COMPLEX, 16, 0, 16, 0, 16);
    check_shape(MPI_2INT, 8, 0, 8, 0, 8);
    struct di {
        double d;
        int i;
    };
    check_shape(MPI_DOUBLE_INT, 12, 0, sizeof(struct di), 0, 12);
    struct si {
        short s;
        int i;
    };
    check_shape(MPI_SHORT_INT, 6, 0, sizeof(struct si), 0, sizeof(struct si));
    struct ldi {
        long double d;
        int i;
    };
    check_shape(MPI_LONG_DOUBLE_INT, sizeof(long double) + 4, 0, sizeof(struct ldi), 0,
                offsetof(struct ldi, i) + 4);
    char name[MPI_MAX_OBJECT_NAME];
    int len;
    CHECK_OK(MPI_Type_get_name(MPI_DOUBLE, name, &len));
    CHECK(!strcmp(name, "MPI_DOUBLE"));
}

static void constructors(void)
{
    MPI_Datatype t, u;
    /* contiguous(3, int) */
    CHECK_OK(MPI_Type_contiguous(3, MPI_INT, &t));
    CHECK_OK(MPI_Type_commit(&t));
    check_shape(t, 12, 0, 12, 0, 12);
    int w1[] = {0, 1, 2, 3, 4, 5};
    check_picks_int(t, 2, w1, 6);
    CHECK_OK(MPI_Type_free(&t));
    CHECK(t == MPI_DATATYPE_NULL);

    /* vector(3, 2, 4, int): ints 0 1, 4 5, 8 9; extent 10 ints. */
    CHECK_OK(MPI_Type_vector(3, 2, 4, MPI_INT, &t));
    CHECK_OK(MPI_Type_commit(&t));
    check_shape(t, 24, 0, 40, 0, 40);
    int w2[] = {0, 1, 4, 5, 8, 9, 10, 11, 14, 15, 18, 19};
    check_picks_int(t, 2, w2, 12);
    /* Resized to one int: element k starts at int k (a column walk). */
    CHECK_OK(MPI_Type_create_resized(t, 0, sizeof(int), &u));
    CHECK_OK(MPI_Type_commit(&u));
    check_shape(u, 24, 0, 4, 0, 40);
    int w3[] = {0, 1, 4, 5, 8, 9, 1, 2, 5, 6, 9, 10, 2, 3, 6, 7, 10, 11};
    check_picks_int(u, 3, w3, 18);
    CHECK_OK(MPI_Type_free(&u));
    /* Resized with a lower bound. */
    CHECK_OK(MPI_Type_create_resized(MPI_INT, -4, 12, &u));
    CHECK_OK(MPI_Type_commit(&u));
    check_shape(u, 4, -4, 12, 0, 4);
    int w3b[] = {0, 3, 6};
    check_picks_int(u, 3, w3b, 3);
    CHECK_OK(MPI_Type_free(&u));
    CHECK_OK(MPI_Type_free(&t));

    /* hvector(3, 1, 16 bytes, int): ints 0, 4, 8; extent 36 bytes. */
    CHECK_OK(MPI_Type_create_hvector(3, 1, 16, MPI_INT, &t));
    CHECK_OK(MPI_Type_commit(&t));
    check_shape(t, 12, 0, 36, 0, 36);
    int w4[] = {0, 4, 8, 9, 13, 17};
    check_picks_int(t, 2, w4, 6);
    CHECK_OK(MPI_Type_free(&t));

    /* indexed: lengths 1 2 3 at 5 0 10: type-map order, not address. */
    int len5[] = {1, 2, 3}, disp5[] = {5, 0, 10};
    CHECK_OK(MPI_Type_indexed(3, len5, disp5, MPI_INT, &t));
    CHECK_OK(MPI_Type_commit(&t));
    check_shape(t, 24, 0, 52, 0, 52);
    int w5[] = {5, 0, 1, 10, 11, 12, 18, 13, 14, 23, 24, 25};
    check_picks_int(t, 2, w5, 12);
    CHECK_OK(MPI_Type_free(&t));

    /* hindexed: 2 ints at byte 8, 1 at byte 0. */
    int len6[] = {2, 1};
    MPI_Aint disp6[] = {8, 0};
    CHECK_OK(MPI_Type_create_hindexed(2, len6, disp6, MPI_INT, &t));
    CHECK_OK(MPI_Type_commit(&t));
    check_shape(t, 12, 0, 16, 0, 16);
    int w6[] = {2, 3, 0, 6, 7, 4};
    check_picks_int(t, 2, w6, 6);
    CHECK_OK(MPI_Type_free(&t));

    /* indexed_block: blocks of 2 ints at 4, 0, 8. */
    int disp7[] = {4, 0, 8};
    CHECK_OK(MPI_Type_create_indexed_block(3, 2, disp7, MPI_INT, &t));
    CHECK_OK(MPI_Type_commit(&t));
    check_shape(t, 24, 0, 40, 0, 40);
    int w7[] = {4, 5, 0, 1, 8, 9};
    check_picks_int(t, 1, w7, 6);
    CHECK_OK(MPI_Type_free(&t));

    /* hindexed_block: single ints at bytes 12 and 4: lb 4. */
    MPI_Aint disp8[] = {12, 4};
    CHECK_OK(MPI_Type_create_hindexed_block(2, 1, disp8, MPI_INT, &t));
    CHECK_OK(MPI_Type_commit(&t));
    check_shape(t, 8, 4, 12, 4, 12);
    int w8[] = {3, 1, 6, 4};
    check_picks_int(t, 2, w8, 4);
    /* Dup: the same layout. */
    CHECK_OK(MPI_Type_dup(t, &u));
    check_shape(u, 8, 4, 12, 4, 12);
    check_picks_int(u, 2, w8, 4);
    CHECK_OK(MPI_Type_set_name(u, "pair of ints"));
    char name[MPI_MAX_OBJECT_NAME];
    int len;
    CHECK_OK(MPI_Type_get_name(u, name, &len));
    CHECK(!strcmp(name, "pair of ints") && len == 12);
    CHECK_OK(MPI_Type_free(&u));
    CHECK_OK(MPI_Type_free(&t));
}

struct rec {
    char c;
    double d;
    int i[2];
};

static MPI_Datatype rec_type(void)
{
    int lens[] = {1, 1, 2};
    MPI_Aint disps[] = {offsetof(struct rec, c), offsetof(struct rec, d), offsetof(struct rec, i)};
    MPI_Datatype types[] = {MPI_CHAR, MPI_DOUBLE, MPI_INT}, t;
    CHECK_OK(MPI_Type_create_struct(3, lens, disps, types, &t));
    CHECK_OK(MPI_Type_commit(&t));
    return t;
}

static void structs(void)
{
    MPI_Datatype t = rec_type();
    /* 17 bytes of data; the extent is the C struct's, padding included. */
    check_shape(t, 17, 0, sizeof(struct rec), 0, offsetof(struct rec, i) + 8);
    struct rec r[2] = {{'a', 1.5, {2, 3}}, {'b', -4.25, {5, 6}}};
    char packed[64];
    int pos = 0;
    CHECK_OK(MPI_Pack(r, 2, t, packed, sizeof packed, &pos, MPI_COMM_WORLD));
    CHECK_INT(pos, 34);
    CHECK(packed[0] == 'a' && packed[17] == 'b');
    double d;
    int i;
    memcpy(&d, packed + 18, sizeof d);
    memcpy(&i, packed + 30, sizeof i);
    CHECK(d == -4.25 && i == 6);
    struct rec back[2];
    memset(back, 0, sizeof back);
    pos = 0;
    CHECK_OK(MPI_Unpack(packed, pos + 34, &pos, back, 2, t, MPI_COMM_WORLD));
    CHECK(back[1].c == 'b' && back[1].d == -4.25 && back[1].i[0] == 5 && back[0].i[1] == 3);
    CHECK_OK(MPI_Type_free(&t));
    /* {double, char}: the extent rounds up to the double's alignment. */
    struct dc {
        double d;
        char c;
    };
    int lens[] = {1, 1};
    MPI_Aint disps[] = {0, 8};
    MPI_Datatype types[] = {MPI_DOUBLE, MPI_CHAR};
    CHECK_OK(MPI_Type_create_struct(2, lens, disps, types, &t));
    check_shape(t, 9, 0, sizeof(struct dc), 0, 9);
    CHECK_OK(MPI_Type_free(&t));
    /* A struct of a resized type keeps the explicit extent's bounds. */
    MPI_Datatype r8;
    CHECK_OK(MPI_Type_create_resized(MPI_CHAR, 0, 8, &r8));
    int one = 1;
    MPI_Aint zero = 0;
    CHECK_OK(MPI_Type_create_struct(1, &one, &zero, &r8, &t));
    check_shape(t, 1, 0, 8, 0, 1);
    CHECK_OK(MPI_Type_free(&t));
    CHECK_OK(MPI_Type_free(&r8));
}

static void subarrays(void)
{
    MPI_Datatype t;
    /* C order, 4x5 ints, the 2x3 block at (1, 1). */
    int sizes[] = {4, 5}, sub[] = {2, 3}, starts[] = {1, 1};
    CHECK_OK(MPI_Type_create_subarray(2, sizes, sub, starts, MPI_ORDER_C, MPI_INT, &t));
    CHECK_OK(MPI_Type_commit(&t));
    check_shape(t, 24, 0, 80, 24, 32);
    int w1[] = {6, 7, 8, 11, 12, 13};
    check_picks_int(t, 1, w1, 6);
    CHECK_OK(MPI_Type_free(&t));
    /* Fortran order: (i, j) at i + 4j. */
    CHECK_OK(MPI_Type_create_subarray(2, sizes, sub, starts, MPI_ORDER_FORTRAN, MPI_INT, &t));
    CHECK_OK(MPI_Type_commit(&t));
    check_shape(t, 24, 0, 80, 20, 40);
    int w2[] = {5, 6, 9, 10, 13, 14};
    check_picks_int(t, 1, w2, 6);
    CHECK_OK(MPI_Type_free(&t));
    /* 3 dimensions, C order: (i, j, k) at 20i + 5j + k. */
    int s3[] = {3, 4, 5}, sub3[] = {2, 2, 2}, st3[] = {1, 2, 3};
    CHECK_OK(MPI_Type_create_subarray(3, s3, sub3, st3, MPI_ORDER_C, MPI_INT, &t));
    CHECK_OK(MPI_Type_commit(&t));
    int w3[] = {33, 34, 38, 39, 53, 54, 58, 59};
    check_picks_int(t, 1, w3, 8);
    check_shape(t, 32, 0, 240, 132, 108);
    CHECK_OK(MPI_Type_free(&t));
}

/* Rank 0 sends columns of a matrix (a vector type) and a struct array;
 * rank 1 receives them contiguous, and sends back the other way. */
static void messages(void)
{
    enum { R = 300, C = 400 }; /* a column of 300 ints: rendezvous size */
    static int m[R][C];
    MPI_Datatype col, col1, rec = rec_type();
    CHECK_OK(MPI_Type_vector(R, 1, C, MPI_INT, &col));
    CHECK_OK(MPI_Type_create_resized(col, 0, sizeof(int), &col1));
    CHECK_OK(MPI_Type_commit(&col));
    CHECK_OK(MPI_Type_commit(&col1));
    if (rank == 0) {
        for (int i = 0; i < R; i++)
            for (int j = 0; j < C; j++) m[i][j] = i * C + j;
        /* Columns 7 .. 7+C/2-1 as one message of C/2 resized columns. */
        CHECK_OK(MPI_Send(&m[0][7], C / 2, col1, 1, 1, MPI_COMM_WORLD));
        CHECK_OK(MPI_Send(&m[0][3], 1, col, 1, 2, MPI_COMM_WORLD));
        struct rec r[3] = {{'x', 0.5, {1, 2}}, {'y', 1.5, {3, 4}}, {'z', 2.5, {5, 6}}};
        CHECK_OK(MPI_Send(r, 3, rec, 1, 3, MPI_COMM_WORLD));
        /* Back: contiguous into a strided column. */
        memset(m, 0, sizeof m);
        CHECK_OK(MPI_Recv(&m[0][5], 1, col, 1, 4, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        for (int i = 0; i < R; i++)
            for (int j = 0; j < C; j++) CHECK_INT(m[i][j], j == 5 ? -i : 0);
    } else if (rank == 1) {
        static int in[R * C / 2];
        MPI_Status st;
        int n;
        CHECK_OK(MPI_Recv(in, R * C / 2, MPI_INT, 0, 1, MPI_COMM_WORLD, &st));
        CHECK_OK(MPI_Get_count(&st, MPI_INT, &n));
        CHECK_INT(n, R * C / 2);
        for (int k = 0; k < C / 2; k++)
            for (int i = 0; i < R; i++) CHECK_INT(in[k * R + i], i * C + 7 + k);
        CHECK_OK(MPI_Recv(in, R, MPI_INT, 0, 2, MPI_COMM_WORLD, &st));
        for (int i = 0; i < R; i++) CHECK_INT(in[i], i * C + 3);
        struct rec r[4];
        memset(r, 0, sizeof r);
        CHECK_OK(MPI_Recv(r, 4, rec, 0, 3, MPI_COMM_WORLD, &st));
        CHECK_OK(MPI_Get_count(&st, rec, &n));
        CHECK_INT(n, 3);
        CHECK_OK(MPI_Get_elements(&st, rec, &n));
        CHECK_INT(n, 12);
        CHECK(r[2].c == 'z' && r[2].d == 2.5 && r[2].i[1] == 6 && r[1].i[0] == 3);
        for (int i = 0; i < R; i++) in[i] = -i;
        CHECK_OK(MPI_Send(in, R, MPI_INT, 0, 4, MPI_COMM_WORLD));
    }
    CHECK_OK(MPI_Type_free(&col));
    CHECK_OK(MPI_Type_free(&col1));
    CHECK_OK(MPI_Type_free(&rec));
}

/* Fewer bytes than the type holds: elements count what arrived. */
static void partial(void)
{
    MPI_Datatype pair, di;
    CHECK_OK(MPI_Type_contiguous(2, MPI_INT, &pair));
    CHECK_OK(MPI_Type_commit(&pair));
    int lens[] = {1, 1};
    MPI_Aint disps[] = {0, 8};
    MPI_Datatype types[] = {MPI_INT, MPI_DOUBLE};
    CHECK_OK(MPI_Type_create_struct(2, lens, disps, types, &di));
    CHECK_OK(MPI_Type_commit(&di));
    if (rank == 0) {
        int five[5] = {1, 2, 3, 4, 5};
        CHECK_OK(MPI_Send(five, 5, MPI_INT, 1, 5, MPI_COMM_WORLD));
        /* 16 bytes: one {int, double} and one int of the next. */
        char raw[16] = {0};
        CHECK_OK(MPI_Send(raw, 16, MPI_BYTE, 1, 6, MPI_COMM_WORLD));
    } else if (rank == 1) {
        int in[6] = {0, 0, 0, 0, 0, -7};
        MPI_Status st;
        int n;
        CHECK_OK(MPI_Recv(in, 3, pair, 0, 5, MPI_COMM_WORLD, &st));
        CHECK_OK(MPI_Get_count(&st, pair, &n));
        CHECK_INT(n, MPI_UNDEFINED);
        CHECK_OK(MPI_Get_elements(&st, pair, &n));
        CHECK_INT(n, 5);
        CHECK_INT(in[4], 5);
        CHECK_INT(in[5], -7);
        char buf[64];
        CHECK_OK(MPI_Recv(buf, 3, di, 0, 6, MPI_COMM_WORLD, &st));
        CHECK_OK(MPI_Get_elements(&st, di, &n));
        CHECK_INT(n, 3);
        MPI_Count nx;
        CHECK_OK(MPI_Get_elements_x(&st, di, &nx));
        CHECK_INT(nx, 3);
        /* Status_set_elements: the count of two pairs and one int. */
        CHECK_OK(MPI_Status_set_elements(&st, MPI_INT, 5));
        CHECK_OK(MPI_Get_count(&st, MPI_INT, &n));
        CHECK_INT(n, 5);
    }
    CHECK_OK(MPI_Type_free(&pair));
    CHECK_OK(MPI_Type_free(&di));
}

/* MAXLOC-style pairs travel with their padding skipped. */
static void pairs(void)
{
    struct {
        double v;
        int i;
    } p[3] = {{1.5, 1}, {2.5, 2}, {3.5, 3}}, q[3];
    MPI_Status st;
    CHECK_OK(
        MPI_Sendrecv(p, 3, MPI_DOUBLE_INT, 0, 7, q, 3, MPI_DOUBLE_INT, 0, 7, MPI_COMM_SELF, &st));
    int n;
    CHECK_OK(MPI_Get_count(&st, MPI_BYTE, &n));
    CHECK_INT(n, 36);
    CHECK(q[2].v == 3.5 && q[2].i == 3 && q[0].i == 1);
    CHECK_OK(MPI_Get_elements(&st, MPI_DOUBLE_INT, &n));
    CHECK_INT(n, 6);
}

/* A receive keeps its type alive after MPI_Type_free. */
static void free_while_pending(void)
{
    MPI_Datatype v;
    CHECK_OK(MPI_Type_vector(4, 1, 2, MPI_INT, &v));
    CHECK_OK(MPI_Type_commit(&v));
    int in[8] = {0}, out[4] = {9, 8, 7, 6};
    MPI_Request q;
    CHECK_OK(MPI_Irecv(in, 1, v, MPI_ANY_SOURCE, 8, MPI_COMM_SELF, &q));
    CHECK_OK(MPI_Type_free(&v));
    CHECK_OK(MPI_Send(out, 4, MPI_INT, 0, 8, MPI_COMM_SELF));
    /* Once the status says done the data is in place, and finishing the
     * request does not write it again. */
    int flag = 0;
    MPI_Status st;
    while (!flag) CHECK_OK(MPI_Request_get_status(q, &flag, &st));
    CHECK_INT(in[2], 8);
    in[0] = 42;
    CHECK_OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    int want[8] = {42, 0, 8, 0, 7, 0, 6, 0};
    for (int i = 0; i < 8; i++) CHECK_INT(in[i], want[i]);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    CHECK(size >= 2);
    predefined();
    constructors();
    structs();
    subarrays();
    messages();
    partial();
    pairs();
    free_while_pending();
    MPI_Aint a1, a2;
    int x[2];
    CHECK_OK(MPI_Get_address(&x[0], &a1));
    CHECK_OK(MPI_Get_address(&x[1], &a2));
    CHECK_INT(MPI_Aint_diff(a2, a1), sizeof(int));
    CHECK(MPI_Aint_add(a1, sizeof(int)) == a2);
    mtest_done("datatype");
    MPI_Finalize();
    return 0;
}
