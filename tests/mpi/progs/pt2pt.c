/* Blocking point-to-point: every send mode and size class (eager and
 * rendezvous), wildcards with the statuses they produce, message order,
 * MPI_PROC_NULL, Sendrecv around a ring, Sendrecv_replace, Get_count, and
 * a synchronous send that must not finish before its receive is posted.
 * Runs on 2 or more ranks. */
#include <string.h>

#include "mtest.h"

static int rank, size;

static unsigned char pattern(int from, int tag, size_t i)
{
    return (unsigned char)(from * 31 + tag * 7 + i * 13 + (i >> 9));
}

static void fill(unsigned char *b, size_t n, int from, int tag)
{
    for (size_t i = 0; i < n; i++) b[i] = pattern(from, tag, i);
}

static void verify(const unsigned char *b, size_t n, int from, int tag)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != pattern(from, tag, i)) {
            fprintf(stderr, "FAIL rank %d: byte %zu of %zu from %d tag %d\n", rank, i, n, from,
                    tag);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
}

/* Ranks 0 and 1 exchange every size in every mode. */
static void modes_and_sizes(void)
{
    static const size_t sizes[] = {0, 1, 8, 100, 4096, 16384, 16385, 100000, 1 << 20, 3 << 20};
    size_t max = 3 << 20;
    unsigned char *s = malloc(max), *r = malloc(max);
    CHECK(s && r);
    int bsize = (int)max + MPI_BSEND_OVERHEAD;
    void *bbuf = malloc((size_t)bsize);
    CHECK_OK(MPI_Buffer_attach(bbuf, bsize));
    for (int mode = 0; mode < 4; mode++) {
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t n = sizes[k];
            int tag = mode * 100 + (int)k;
            if (rank == 0) {
                fill(s, n, 0, tag);
                switch (mode) {
                case 0:
                    CHECK_OK(MPI_Send(s, (int)n, MPI_BYTE, 1, tag, MPI_COMM_WORLD));
                    break;
                case 1:
                    CHECK_OK(MPI_Ssend(s, (int)n, MPI_BYTE, 1, tag, MPI_COMM_WORLD));
                    break;
                case 2:
                    /* The receiver posted first and said so. */
                    CHECK_OK(
                        MPI_Recv(NULL, 0, MPI_BYTE, 1, 9999, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
                    CHECK_OK(MPI_Rsend(s, (int)n, MPI_BYTE, 1, tag, MPI_COMM_WORLD));
                    break;
                case 3:
                    CHECK_OK(MPI_Bsend(s, (int)n, MPI_BYTE, 1, tag, MPI_COMM_WORLD));
                    /* The buffer is reusable at once. */
                    memset(s, 0, n);
                    break;
                }
                CHECK_OK(MPI_Recv(r, (int)n, MPI_BYTE, 1, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
                verify(r, n, 1, tag);
            } else if (rank == 1) {
                MPI_Status st;
                memset(r, 0, n);
                if (mode == 2) {
                    MPI_Request q;
                    CHECK_OK(MPI_Irecv(r, (int)max, MPI_BYTE, 0, tag, MPI_COMM_WORLD, &q));
                    CHECK_OK(MPI_Send(NULL, 0, MPI_BYTE, 0, 9999, MPI_COMM_WORLD));
                    CHECK_OK(MPI_Wait(&q, &st));
                } else {
                    CHECK_OK(MPI_Recv(r, (int)max, MPI_BYTE, 0, tag, MPI_COMM_WORLD, &st));
                }
                int count;
                CHECK_OK(MPI_Get_count(&st, MPI_BYTE, &count));
                CHECK_INT(count, n);
                CHECK_INT(st.MPI_SOURCE, 0);
                CHECK_INT(st.MPI_TAG, tag);
                verify(r, n, 0, tag);
                fill(s, n, 1, tag);
                CHECK_OK(MPI_Send(s, (int)n, MPI_BYTE, 0, tag, MPI_COMM_WORLD));
            }
        }
    }
    void *addr;
    int asize;
    CHECK_OK(MPI_Buffer_detach(&addr, &asize));
    CHECK(addr == bbuf && asize == bsize);
    free(bbuf);
    free(s);
    free(r);
}

/* Every rank sends to rank 0 with its own tags; rank 0 receives with
 * wildcards and checks what the statuses say, and that each sender's
 * messages come in order (small and large mixed). */
static void wildcards_and_order(void)
{
    enum { N = 40 };
    size_t big = 70000;
    if (rank != 0) {
        unsigned char *b = malloc(big);
        for (int i = 0; i < N; i++) {
            size_t n = i % 5 == 4 ? big : (size_t)(i * 3);
            fill(b, n, rank, i);
            /* The message number travels in its first bytes, the tag is
             * the rank's. */
            int tag = 1000 + rank;
            if (n >= sizeof i) memcpy(b, &i, sizeof i);
            CHECK_OK(MPI_Send(b, (int)n, MPI_BYTE, 0, tag, MPI_COMM_WORLD));
        }
        free(b);
        return;
    }
    int next[64] = {0};
    unsigned char *b = malloc(big);
    for (int k = 0; k < N * (size - 1); k++) {
        MPI_Status st;
        CHECK_OK(MPI_Recv(b, (int)big, MPI_BYTE, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st));
        int src = st.MPI_SOURCE, count;
        CHECK(src > 0 && src < size);
        CHECK_INT(st.MPI_TAG, 1000 + src);
        CHECK_OK(MPI_Get_count(&st, MPI_BYTE, &count));
        int i = next[src]++;
        size_t n = i % 5 == 4 ? big : (size_t)(i * 3);
        CHECK_INT(count, n);
        if (n >= sizeof i) {
            int got;
            memcpy(&got, b, sizeof got);
            CHECK_INT(got, i);
        } else {
            verify(b, n, src, i);
        }
    }
    for (int s = 1; s < size; s++) CHECK_INT(next[s], N);
    free(b);
}

/* Source known, tag wildcard; tag known, source wildcard. */
static void half_wildcards(void)
{
    if (rank == 1) {
        int v = 11;
        CHECK_OK(MPI_Send(&v, 1, MPI_INT, 0, 5, MPI_COMM_WORLD));
        v = 12;
        CHECK_OK(MPI_Send(&v, 1, MPI_INT, 0, 6, MPI_COMM_WORLD));
    } else if (rank == 0) {
        int v;
        MPI_Status st;
        /* Tag 6 first: a receive for a specific tag skips the earlier one. */
        CHECK_OK(MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, 6, MPI_COMM_WORLD, &st));
        CHECK_INT(v, 12);
        CHECK_INT(st.MPI_SOURCE, 1);
        CHECK_OK(MPI_Recv(&v, 1, MPI_INT, 1, MPI_ANY_TAG, MPI_COMM_WORLD, &st));
        CHECK_INT(v, 11);
        CHECK_INT(st.MPI_TAG, 5);
    }
}

static void proc_null(void)
{
    MPI_Status st;
    int v = 3;
    CHECK_OK(MPI_Send(&v, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD));
    CHECK_OK(MPI_Ssend(&v, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD));
    CHECK_OK(MPI_Recv(&v, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD, &st));
    CHECK_INT(v, 3);
    CHECK_INT(st.MPI_SOURCE, MPI_PROC_NULL);
    CHECK_INT(st.MPI_TAG, MPI_ANY_TAG);
    int count;
    CHECK_OK(MPI_Get_count(&st, MPI_INT, &count));
    CHECK_INT(count, 0);
}

/* Each rank sends its rank right and receives from the left, in one call. */
static void ring(void)
{
    int right = (rank + 1) % size, left = (rank - 1 + size) % size;
    int out[1000], in[1000];
    for (int i = 0; i < 1000; i++) out[i] = rank * 1000 + i;
    MPI_Status st;
    CHECK_OK(MPI_Sendrecv(out, 1000, MPI_INT, right, 3, in, 1000, MPI_INT, left, 3, MPI_COMM_WORLD,
                          &st));
    CHECK_INT(st.MPI_SOURCE, left);
    for (int i = 0; i < 1000; i++) CHECK_INT(in[i], left * 1000 + i);
    /* In place: the buffer leaves and the neighbour's arrives. */
    int buf[20000];
    for (int i = 0; i < 20000; i++) buf[i] = rank + i;
    CHECK_OK(MPI_Sendrecv_replace(buf, 20000, MPI_INT, right, 4, left, 4, MPI_COMM_WORLD, &st));
    for (int i = 0; i < 20000; i++) CHECK_INT(buf[i], left + i);
    CHECK_OK(MPI_Sendrecv(out, 1, MPI_INT, MPI_PROC_NULL, 0, in, 1, MPI_INT, MPI_PROC_NULL, 0,
                          MPI_COMM_WORLD, &st));
    CHECK_INT(st.MPI_SOURCE, MPI_PROC_NULL);
}

/* An Issend to a rank that has not posted the receive stays incomplete. */
static void synchronous(void)
{
    int v = 77, go = 1;
    if (rank == 1) {
        MPI_Request q;
        int flag;
        CHECK_OK(MPI_Issend(&v, 1, MPI_INT, 0, 20, MPI_COMM_WORLD, &q));
        for (int i = 0; i < 1000; i++) {
            CHECK_OK(MPI_Test(&q, &flag, MPI_STATUS_IGNORE));
            CHECK(!flag);
        }
        CHECK_OK(MPI_Send(&go, 1, MPI_INT, 0, 21, MPI_COMM_WORLD));
        CHECK_OK(MPI_Wait(&q, MPI_STATUS_IGNORE));
    } else if (rank == 0) {
        CHECK_OK(MPI_Recv(&go, 1, MPI_INT, 1, 21, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        CHECK_OK(MPI_Recv(&v, 1, MPI_INT, 1, 20, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        CHECK_INT(v, 77);
    }
}

/* Typed counts: a double message seen as bytes and as doubles. */
static void counts(void)
{
    if (rank == 0) {
        double d[7] = {1, 2, 3, 4, 5, 6, 7};
        CHECK_OK(MPI_Send(d, 7, MPI_DOUBLE, 1, 30, MPI_COMM_WORLD));
    } else if (rank == 1) {
        double d[10];
        MPI_Status st;
        int n;
        CHECK_OK(MPI_Recv(d, 10, MPI_DOUBLE, 0, 30, MPI_COMM_WORLD, &st));
        CHECK_OK(MPI_Get_count(&st, MPI_DOUBLE, &n));
        CHECK_INT(n, 7);
        CHECK_OK(MPI_Get_count(&st, MPI_BYTE, &n));
        CHECK_INT(n, 56);
        CHECK_OK(MPI_Get_count(&st, MPI_INT, &n));
        CHECK_INT(n, 14);
        CHECK_OK(MPI_Get_count(&st, MPI_LONG_DOUBLE, &n));
        CHECK_INT(n, 56 % sizeof(long double) ? MPI_UNDEFINED : (int)(56 / sizeof(long double)));
        CHECK_OK(MPI_Get_elements(&st, MPI_DOUBLE, &n));
        CHECK_INT(n, 7);
        CHECK(d[6] == 7.0);
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    CHECK(size >= 2);
    /* Phases are separated: wildcard receives would take the next phase's
     * messages. */
    void (*phases[])(void) = {
        modes_and_sizes, wildcards_and_order, half_wildcards, proc_null, ring, synchronous, counts};
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
        phases[i]();
        MPI_Barrier(MPI_COMM_WORLD);
    }
    mtest_done("pt2pt");
    MPI_Finalize();
    return 0;
}
