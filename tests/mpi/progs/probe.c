/* Probes: probe then receive with the probed size, Iprobe before and
 * after a message is there, matched probes (Mprobe/Mrecv, Improbe/Imrecv)
 * whose message no other receive can take, from every rank at once. */
#include <string.h>

#include "mtest.h"

static int rank, size;

/* Every other rank sends rank 0 a message of an unknown length; rank 0
 * probes for it, sizes a buffer, receives exactly that one. */
static void probe_then_receive(void)
{
    if (rank != 0) {
        int n = rank * 1000 + 3;
        int *b = malloc((size_t)n * sizeof *b);
        for (int i = 0; i < n; i++) b[i] = rank + i;
        CHECK_OK(MPI_Send(b, n, MPI_INT, 0, 7, MPI_COMM_WORLD));
        free(b);
        return;
    }
    for (int k = 1; k < size; k++) {
        MPI_Status st, st2;
        int n;
        CHECK_OK(MPI_Probe(MPI_ANY_SOURCE, 7, MPI_COMM_WORLD, &st));
        CHECK_OK(MPI_Get_count(&st, MPI_INT, &n));
        CHECK_INT(n, st.MPI_SOURCE * 1000 + 3);
        int *b = malloc((size_t)n * sizeof *b);
        /* The probed source and tag name the message probed. */
        CHECK_OK(MPI_Recv(b, n, MPI_INT, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, &st2));
        CHECK_INT(st2.MPI_SOURCE, st.MPI_SOURCE);
        for (int i = 0; i < n; i++) CHECK_INT(b[i], st.MPI_SOURCE + i);
        free(b);
    }
}

static void iprobe(void)
{
    int flag;
    MPI_Status st;
    /* Nothing sent with this tag yet. */
    CHECK_OK(MPI_Iprobe(MPI_ANY_SOURCE, 8, MPI_COMM_WORLD, &flag, &st));
    CHECK(!flag);
    CHECK_OK(MPI_Barrier(MPI_COMM_WORLD));
    int v = rank;
    int to = (rank + 1) % size, from = (rank - 1 + size) % size;
    CHECK_OK(MPI_Send(&v, 1, MPI_INT, to, 8, MPI_COMM_WORLD));
    do CHECK_OK(MPI_Iprobe(from, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st));
    while (!flag);
    CHECK_INT(st.MPI_SOURCE, from);
    CHECK_INT(st.MPI_TAG, 8);
    /* Probing does not take it: it is still there. */
    CHECK_OK(MPI_Iprobe(from, 8, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE));
    CHECK(flag);
    CHECK_OK(MPI_Recv(&v, 1, MPI_INT, from, 8, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    CHECK_INT(v, from);
    CHECK_OK(MPI_Iprobe(MPI_PROC_NULL, 8, MPI_COMM_WORLD, &flag, &st));
    CHECK(flag && st.MPI_SOURCE == MPI_PROC_NULL);
}

/* Rank 0 takes each message by matched probe while a wildcard receive is
 * posted: the receive must never get a probed message. */
static void matched(void)
{
    enum { PER = 20 };
    if (rank != 0) {
        for (int i = 0; i < PER; i++) {
            int n = (i % 4 == 3) ? 30000 : i + 1;
            int *b = malloc((size_t)n * sizeof *b);
            for (int k = 0; k < n; k++) b[k] = rank * 100000 + i * 100 + k % 100;
            CHECK_OK(MPI_Send(b, n, MPI_INT, 0, 9, MPI_COMM_WORLD));
            free(b);
        }
        int end = -1;
        CHECK_OK(MPI_Send(&end, 1, MPI_INT, 0, 10, MPI_COMM_WORLD));
        return;
    }
    int next[64] = {0};
    MPI_Request closing;
    int end = 0, ends = 0;
    CHECK_OK(MPI_Irecv(&end, 1, MPI_INT, MPI_ANY_SOURCE, 10, MPI_COMM_WORLD, &closing));
    for (int k = 0; k < PER * (size - 1); k++) {
        MPI_Message m;
        MPI_Status st;
        int n, flag = 0;
        if (k % 2) {
            CHECK_OK(MPI_Mprobe(MPI_ANY_SOURCE, 9, MPI_COMM_WORLD, &m, &st));
        } else {
            while (!flag) CHECK_OK(MPI_Improbe(MPI_ANY_SOURCE, 9, MPI_COMM_WORLD, &flag, &m, &st));
        }
        CHECK(m != MPI_MESSAGE_NULL);
        CHECK_OK(MPI_Get_count(&st, MPI_INT, &n));
        int src = st.MPI_SOURCE, i = next[src]++;
        CHECK_INT(n, (i % 4 == 3) ? 30000 : i + 1);
        int *b = malloc((size_t)n * sizeof *b);
        MPI_Status st2;
        if (k % 3) {
            CHECK_OK(MPI_Mrecv(b, n, MPI_INT, &m, &st2));
        } else {
            MPI_Request q;
            CHECK_OK(MPI_Imrecv(b, n, MPI_INT, &m, &q));
            CHECK_OK(MPI_Wait(&q, &st2));
        }
        CHECK(m == MPI_MESSAGE_NULL);
        CHECK_INT(st2.MPI_SOURCE, src);
        CHECK_INT(st2.MPI_TAG, 9);
        for (int x = 0; x < n; x++) CHECK_INT(b[x], src * 100000 + i * 100 + x % 100);
        free(b);
        int done;
        CHECK_OK(MPI_Test(&closing, &done, MPI_STATUS_IGNORE));
        if (done) {
            CHECK_INT(end, -1);
            if (++ends < size - 1)
                CHECK_OK(MPI_Irecv(&end, 1, MPI_INT, MPI_ANY_SOURCE, 10, MPI_COMM_WORLD, &closing));
        }
    }
    while (ends < size - 1) {
        CHECK_OK(MPI_Wait(&closing, MPI_STATUS_IGNORE));
        if (++ends < size - 1)
            CHECK_OK(MPI_Irecv(&end, 1, MPI_INT, MPI_ANY_SOURCE, 10, MPI_COMM_WORLD, &closing));
    }
    for (int s = 1; s < size; s++) CHECK_INT(next[s], PER);
    /* MPI_PROC_NULL: a message that receives nothing. */
    MPI_Message m;
    MPI_Status st;
    CHECK_OK(MPI_Mprobe(MPI_PROC_NULL, 0, MPI_COMM_WORLD, &m, &st));
    CHECK(m == MPI_MESSAGE_NO_PROC);
    int v = 5;
    CHECK_OK(MPI_Mrecv(&v, 1, MPI_INT, &m, &st));
    CHECK(m == MPI_MESSAGE_NULL && st.MPI_SOURCE == MPI_PROC_NULL && v == 5);
}

/* A matched message with a too-small buffer: truncated and gone. */
static void matched_truncate(void)
{
    if (rank == 1) {
        int v[4] = {1, 2, 3, 4};
        CHECK_OK(MPI_Send(v, 4, MPI_INT, 0, 11, MPI_COMM_WORLD));
        CHECK_OK(MPI_Send(v, 1, MPI_INT, 0, 11, MPI_COMM_WORLD));
    } else if (rank == 0) {
        CHECK_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
        MPI_Message m;
        int v[2] = {0, 0};
        CHECK_OK(MPI_Mprobe(1, 11, MPI_COMM_WORLD, &m, MPI_STATUS_IGNORE));
        /* The buffer's content is undefined after truncation. */
        CHECK_CLASS(MPI_Mrecv(v, 2, MPI_INT, &m, MPI_STATUS_IGNORE), MPI_ERR_TRUNCATE);
        v[0] = 0;
        CHECK_OK(MPI_Recv(v, 2, MPI_INT, 1, 11, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        CHECK_INT(v[0], 1);
        CHECK_OK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL));
    }
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    CHECK(size >= 2);
    probe_then_receive();
    CHECK_OK(MPI_Barrier(MPI_COMM_WORLD));
    iprobe();
    CHECK_OK(MPI_Barrier(MPI_COMM_WORLD));
    matched();
    CHECK_OK(MPI_Barrier(MPI_COMM_WORLD));
    matched_truncate();
    mtest_done("probe");
    MPI_Finalize();
    return 0;
}
