/* Large messages of derived datatypes on a node, which leave their regions
 * where they lie for the receiver to pull in one copy (small regions are
 * packed instead): vector, indexed and struct layouts against hand-computed
 * ones, blocking and nonblocking, synchronous, with small messages passing
 * a large one, truncated. With --pipe-receiver, rank 1 copies through the
 * shared buffers instead of reading the sender's memory, so the sender
 * gathers its regions into them. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mtest.h"

#define ROWS 256
#define COLS 160 /* doubles per row */
#define BL   64  /* doubles per block of the vector: 512-byte regions */
#define NIDX 40

static double grid[ROWS][COLS];

static double val(long i)
{
    return (double)i * 0.5 + 1;
}

static void fill_grid(void)
{
    for (int r = 0; r < ROWS; r++)
        for (int c = 0; c < COLS; c++) grid[r][c] = val((long)r * COLS + c);
}

/* A vector of ROWS blocks of BL doubles, from column 10 on. */
static void vector(int rank, int sync)
{
    MPI_Datatype vec;
    CHECK_OK(MPI_Type_vector(ROWS, BL, COLS, MPI_DOUBLE, &vec));
    CHECK_OK(MPI_Type_commit(&vec));
    if (rank == 0) {
        fill_grid();
        if (sync)
            CHECK_OK(MPI_Ssend(&grid[0][10], 1, vec, 1, 1, MPI_COMM_WORLD));
        else
            CHECK_OK(MPI_Send(&grid[0][10], 1, vec, 1, 1, MPI_COMM_WORLD));
    } else {
        double *in = calloc(ROWS * BL, sizeof *in);
        MPI_Status st;
        CHECK(in);
        CHECK_OK(MPI_Recv(in, ROWS * BL, MPI_DOUBLE, 0, 1, MPI_COMM_WORLD, &st));
        int n;
        CHECK_OK(MPI_Get_count(&st, MPI_DOUBLE, &n));
        CHECK_INT(n, ROWS * BL);
        for (int r = 0; r < ROWS; r++)
            for (int k = 0; k < BL; k++) CHECK(in[r * BL + k] == val((long)r * COLS + 10 + k));
        free(in);
    }
    CHECK_OK(MPI_Type_free(&vec));
}

/* Indexed blocks of growing length and gaps, two elements of the type. */
static void indexed(int rank)
{
    int blens[NIDX], disps[NIDX], at = 0, total = 0;
    for (int i = 0; i < NIDX; i++) {
        blens[i] = 100 + 13 * i;
        disps[i] = at;
        at += blens[i] + 7 * i + 3;
        total += blens[i];
    }
    MPI_Datatype idx;
    CHECK_OK(MPI_Type_indexed(NIDX, blens, disps, MPI_INT, &idx));
    CHECK_OK(MPI_Type_commit(&idx));
    MPI_Aint lb, ext;
    CHECK_OK(MPI_Type_get_extent(idx, &lb, &ext));
    CHECK_INT(ext, (MPI_Aint)(disps[NIDX - 1] + blens[NIDX - 1]) * (MPI_Aint)sizeof(int));
    int per = (int)(ext / (MPI_Aint)sizeof(int));
    if (rank == 0) {
        int *src = malloc(2 * (size_t)per * sizeof *src);
        CHECK(src);
        for (int i = 0; i < 2 * per; i++) src[i] = i * 3 + 1;
        CHECK_OK(MPI_Send(src, 2, idx, 1, 2, MPI_COMM_WORLD));
        free(src);
    } else {
        int *in = calloc(2 * (size_t)total, sizeof *in), k = 0;
        CHECK(in);
        CHECK_OK(MPI_Recv(in, 2 * total, MPI_INT, 0, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        for (int e = 0; e < 2; e++)
            for (int i = 0; i < NIDX; i++)
                for (int j = 0; j < blens[i]; j++)
                    CHECK_INT(in[k++], (e * per + disps[i] + j) * 3 + 1);
        free(in);
    }
    CHECK_OK(MPI_Type_free(&idx));
}

struct rec {
    int id;
    char pad[4];
    double v[100];
};

/* Structs with a hole, received as the same type: the hole is untouched. */
static void structs(int rank)
{
    enum { N = 200 };
    int blens[2] = {1, 100};
    MPI_Aint disps[2] = {offsetof(struct rec, id), offsetof(struct rec, v)};
    MPI_Datatype types[2] = {MPI_INT, MPI_DOUBLE}, t, rt;
    CHECK_OK(MPI_Type_create_struct(2, blens, disps, types, &t));
    CHECK_OK(MPI_Type_create_resized(t, 0, sizeof(struct rec), &rt));
    CHECK_OK(MPI_Type_commit(&rt));
    struct rec *r = malloc(N * sizeof *r);
    CHECK(r);
    memset(r, 0x55, N * sizeof *r);
    if (rank == 0) {
        for (int i = 0; i < N; i++) {
            r[i].id = i + 7;
            for (int j = 0; j < 100; j++) r[i].v[j] = val(i * 100 + j);
        }
        CHECK_OK(MPI_Send(r, N, rt, 1, 3, MPI_COMM_WORLD));
    } else {
        CHECK_OK(MPI_Recv(r, N, rt, 0, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        for (int i = 0; i < N; i++) {
            CHECK_INT(r[i].id, i + 7);
            for (int j = 0; j < 4; j++) CHECK_INT((unsigned char)r[i].pad[j], 0x55);
            for (int j = 0; j < 100; j++) CHECK(r[i].v[j] == val(i * 100 + j));
        }
    }
    free(r);
    CHECK_OK(MPI_Type_free(&t));
    CHECK_OK(MPI_Type_free(&rt));
}

/* 8-byte regions (a column): packed, whatever the size. */
static void column(int rank)
{
    enum { N = 4096 };
    double *a = malloc(2 * N * sizeof *a);
    CHECK(a);
    MPI_Datatype col;
    CHECK_OK(MPI_Type_vector(N, 1, 2, MPI_DOUBLE, &col));
    CHECK_OK(MPI_Type_commit(&col));
    if (rank == 0) {
        for (int i = 0; i < 2 * N; i++) a[i] = val(i);
        CHECK_OK(MPI_Send(a + 1, 1, col, 1, 4, MPI_COMM_WORLD));
    } else {
        CHECK_OK(MPI_Recv(a, N, MPI_DOUBLE, 0, 4, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        for (int i = 0; i < N; i++) CHECK(a[i] == val(2 * i + 1));
    }
    CHECK_OK(MPI_Type_free(&col));
    free(a);
}

/* Small messages pass a large scattered one still waiting for its
 * receive; the large one's buffer is the sender's until it completes. */
static void passing(int rank)
{
    MPI_Datatype vec;
    CHECK_OK(MPI_Type_vector(ROWS, BL, COLS, MPI_DOUBLE, &vec));
    CHECK_OK(MPI_Type_commit(&vec));
    if (rank == 0) {
        fill_grid();
        MPI_Request big;
        CHECK_OK(MPI_Isend(&grid[0][0], 1, vec, 1, 10, MPI_COMM_WORLD, &big));
        for (int i = 0; i < 10; i++) CHECK_OK(MPI_Send(&i, 1, MPI_INT, 1, 11, MPI_COMM_WORLD));
        CHECK_OK(MPI_Wait(&big, MPI_STATUS_IGNORE));
    } else {
        for (int i = 0; i < 10; i++) {
            int v = -1;
            CHECK_OK(MPI_Recv(&v, 1, MPI_INT, 0, 11, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            CHECK_INT(v, i);
        }
        double *in = calloc(ROWS * BL, sizeof *in);
        CHECK(in);
        CHECK_OK(MPI_Recv(in, ROWS * BL, MPI_DOUBLE, 0, 10, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        for (int r = 0; r < ROWS; r++)
            for (int k = 0; k < BL; k++) CHECK(in[r * BL + k] == val((long)r * COLS + k));
        free(in);
    }
    CHECK_OK(MPI_Type_free(&vec));
}

/* A receive too small for a scattered message fails with MPI_ERR_TRUNCATE
 * and the next message arrives intact. */
static void truncated(int rank)
{
    MPI_Datatype vec;
    CHECK_OK(MPI_Type_vector(ROWS, BL, COLS, MPI_DOUBLE, &vec));
    CHECK_OK(MPI_Type_commit(&vec));
    if (rank == 0) {
        fill_grid();
        CHECK_OK(MPI_Send(&grid[0][0], 1, vec, 1, 12, MPI_COMM_WORLD));
        CHECK_OK(MPI_Send(&grid[0][1], 1, vec, 1, 13, MPI_COMM_WORLD));
    } else {
        double *in = calloc(ROWS * BL, sizeof *in);
        CHECK(in);
        CHECK_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
        int rc = MPI_Recv(in, 1000, MPI_DOUBLE, 0, 12, MPI_COMM_WORLD, MPI_STATUS_IGNORE), cls;
        MPI_Error_class(rc, &cls);
        CHECK_INT(cls, MPI_ERR_TRUNCATE);
        CHECK_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL));
        CHECK_OK(MPI_Recv(in, ROWS * BL, MPI_DOUBLE, 0, 13, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        for (int r = 0; r < ROWS; r++)
            for (int k = 0; k < BL; k++) CHECK(in[r * BL + k] == val((long)r * COLS + 1 + k));
        free(in);
    }
    CHECK_OK(MPI_Type_free(&vec));
}

int main(int argc, char **argv)
{
    /* Before MPI_Init: the transport reads it there. */
    const char *pr = getenv("PMI_RANK");
    if (argc > 1 && !strcmp(argv[1], "--pipe-receiver") && pr && !strcmp(pr, "1"))
        setenv("FERRY_SHM_CMA", "0", 1);
    int rank, size;
    CHECK_OK(MPI_Init(&argc, &argv));
    CHECK_OK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    CHECK_OK(MPI_Comm_size(MPI_COMM_WORLD, &size));
    if (rank < 2) {
        vector(rank, 0);
        vector(rank, 1);
        indexed(rank);
        structs(rank);
        column(rank);
        passing(rank);
        truncated(rank);
    }
    CHECK_OK(MPI_Barrier(MPI_COMM_WORLD));
    if (rank == 0) printf("scattered: PASS\n");
    CHECK_OK(MPI_Finalize());
    return 0;
}
