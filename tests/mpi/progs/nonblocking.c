/* Nonblocking point-to-point and completion: Isend/Irecv with every wait
 * and test form, null and inactive requests in arrays, Request_free on an
 * active request, cancelling receives, persistent requests restarted many
 * times, Ibsend, Request_get_status. Runs on 2 or more ranks; ranks 0 and
 * 1 do the work. */
#include <string.h>

#include "mtest.h"

#define N 16

static int rank, size, peer;

static void exchange_all_forms(void)
{
    int out[N], in[N];
    MPI_Request rq[2 * N];
    MPI_Status st[2 * N];
    for (int form = 0; form < 5; form++) {
        for (int i = 0; i < N; i++) {
            out[i] = rank * 1000 + form * 100 + i;
            in[i] = -1;
            CHECK_OK(MPI_Irecv(&in[i], 1, MPI_INT, peer, i, MPI_COMM_WORLD, &rq[i]));
        }
        /* Sends in reverse tag order: receives match by tag. */
        for (int i = N - 1; i >= 0; i--)
            CHECK_OK(MPI_Isend(&out[i], 1, MPI_INT, peer, i, MPI_COMM_WORLD, &rq[N + i]));
        int done = 0, seen[2 * N] = {0};
        switch (form) {
        case 0:
            CHECK_OK(MPI_Waitall(2 * N, rq, st));
            for (int i = 0; i < N; i++) {
                CHECK_INT(st[i].MPI_SOURCE, peer);
                CHECK_INT(st[i].MPI_TAG, i);
                CHECK_INT(st[i].MPI_ERROR, MPI_SUCCESS);
            }
            done = 2 * N;
            break;
        case 1:
            while (done < 2 * N) {
                int idx;
                CHECK_OK(MPI_Waitany(2 * N, rq, &idx, &st[0]));
                CHECK(idx >= 0 && idx < 2 * N && !seen[idx]);
                CHECK(rq[idx] == MPI_REQUEST_NULL);
                if (idx < N) CHECK_INT(st[0].MPI_TAG, idx);
                seen[idx] = 1;
                done++;
            }
            break;
        case 2:
            while (done < 2 * N) {
                int n, idx[2 * N];
                CHECK_OK(MPI_Waitsome(2 * N, rq, &n, idx, st));
                CHECK(n >= 1);
                for (int k = 0; k < n; k++) {
                    CHECK(!seen[idx[k]]);
                    seen[idx[k]] = 1;
                    if (idx[k] < N) CHECK_INT(st[k].MPI_TAG, idx[k]);
                }
                done += n;
            }
            break;
        case 3:
            while (done < 2 * N) {
                int idx, flag;
                CHECK_OK(MPI_Testany(2 * N, rq, &idx, &flag, &st[0]));
                if (!flag) continue;
                CHECK(!seen[idx]);
                seen[idx] = 1;
                done++;
            }
            break;
        case 4:
            while (done < 2 * N) {
                int n, idx[2 * N];
                CHECK_OK(MPI_Testsome(2 * N, rq, &n, idx, MPI_STATUSES_IGNORE));
                CHECK(n != MPI_UNDEFINED);
                for (int k = 0; k < n; k++) CHECK(!seen[idx[k]]++);
                done += n;
            }
            break;
        }
        for (int i = 0; i < N; i++) CHECK_INT(in[i], peer * 1000 + form * 100 + i);
        for (int i = 0; i < 2 * N; i++) CHECK(rq[i] == MPI_REQUEST_NULL);
        /* All null now: the any/some forms say so. */
        int idx, n, flag;
        CHECK_OK(MPI_Waitany(2 * N, rq, &idx, MPI_STATUS_IGNORE));
        CHECK_INT(idx, MPI_UNDEFINED);
        CHECK_OK(MPI_Waitsome(2 * N, rq, &n, &idx, MPI_STATUSES_IGNORE));
        CHECK_INT(n, MPI_UNDEFINED);
        CHECK_OK(MPI_Testany(2 * N, rq, &idx, &flag, MPI_STATUS_IGNORE));
        CHECK(flag && idx == MPI_UNDEFINED);
        CHECK_OK(MPI_Testall(2 * N, rq, &flag, MPI_STATUSES_IGNORE));
        CHECK(flag);
    }
}

/* Testall completes nothing until everything is done. */
static void testall_all_or_nothing(void)
{
    int v = 5, w = 0, go = 0;
    MPI_Request rq[2];
    if (rank == 0) {
        CHECK_OK(MPI_Irecv(&w, 1, MPI_INT, 1, 40, MPI_COMM_WORLD, &rq[0]));
        CHECK_OK(MPI_Isend(&v, 1, MPI_INT, 1, 41, MPI_COMM_WORLD, &rq[1]));
        int flag;
        CHECK_OK(MPI_Testall(2, rq, &flag, MPI_STATUSES_IGNORE));
        CHECK(!flag);
        CHECK(rq[0] != MPI_REQUEST_NULL && rq[1] != MPI_REQUEST_NULL);
        CHECK_OK(MPI_Send(&go, 1, MPI_INT, 1, 42, MPI_COMM_WORLD));
        do CHECK_OK(MPI_Testall(2, rq, &flag, MPI_STATUSES_IGNORE));
        while (!flag);
        CHECK_INT(w, 6);
    } else if (rank == 1) {
        CHECK_OK(MPI_Recv(&go, 1, MPI_INT, 0, 42, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        CHECK_OK(MPI_Recv(&w, 1, MPI_INT, 0, 41, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        w++;
        CHECK_OK(MPI_Send(&w, 1, MPI_INT, 0, 40, MPI_COMM_WORLD));
    }
}

static void cancel_and_free(void)
{
    /* A receive nobody sends to is withdrawn. */
    int v = -1;
    MPI_Request q;
    MPI_Status st;
    CHECK_OK(MPI_Irecv(&v, 1, MPI_INT, peer, 50, MPI_COMM_WORLD, &q));
    CHECK_OK(MPI_Cancel(&q));
    CHECK_OK(MPI_Wait(&q, &st));
    int flag;
    CHECK_OK(MPI_Test_cancelled(&st, &flag));
    CHECK(flag);
    CHECK_INT(v, -1);
    /* Both have cancelled before either sends. */
    CHECK_OK(MPI_Sendrecv(NULL, 0, MPI_INT, peer, 49, NULL, 0, MPI_INT, peer, 49, MPI_COMM_WORLD,
                          MPI_STATUS_IGNORE));
    /* The message sent after is not lost: a later receive gets it. */
    int x = rank + 100;
    CHECK_OK(MPI_Send(&x, 1, MPI_INT, peer, 50, MPI_COMM_WORLD));
    CHECK_OK(MPI_Recv(&v, 1, MPI_INT, peer, 50, MPI_COMM_WORLD, &st));
    CHECK_INT(v, peer + 100);
    CHECK_OK(MPI_Test_cancelled(&st, &flag));
    CHECK(!flag);
    /* Cancelling a matched receive has no effect. */
    CHECK_OK(MPI_Irecv(&v, 1, MPI_INT, peer, 51, MPI_COMM_WORLD, &q));
    CHECK_OK(MPI_Send(&x, 1, MPI_INT, peer, 51, MPI_COMM_WORLD));
    /* Once the peer's next message is here, its 51 has matched ours. */
    CHECK_OK(MPI_Sendrecv(NULL, 0, MPI_INT, peer, 52, NULL, 0, MPI_INT, peer, 52, MPI_COMM_WORLD,
                          MPI_STATUS_IGNORE));
    CHECK_OK(MPI_Request_get_status(q, &flag, &st));
    while (!flag) CHECK_OK(MPI_Request_get_status(q, &flag, &st));
    CHECK_INT(st.MPI_SOURCE, peer);
    CHECK_OK(MPI_Cancel(&q));
    CHECK_OK(MPI_Wait(&q, &st));
    CHECK_OK(MPI_Test_cancelled(&st, &flag));
    CHECK(!flag);
    CHECK_INT(v, peer + 100);
    /* Freed while active: the send still happens; a large one too. */
    static char big[200000];
    memset(big, rank + 1, sizeof big);
    CHECK_OK(MPI_Isend(big, sizeof big, MPI_CHAR, peer, 53, MPI_COMM_WORLD, &q));
    CHECK_OK(MPI_Request_free(&q));
    CHECK(q == MPI_REQUEST_NULL);
    static char got[200000];
    CHECK_OK(MPI_Recv(got, sizeof got, MPI_CHAR, peer, 53, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    for (size_t i = 0; i < sizeof got; i++) CHECK_INT(got[i], peer + 1);
    /* A receive freed while active still receives into its buffer. */
    int late = 0;
    CHECK_OK(MPI_Irecv(&late, 1, MPI_INT, peer, 54, MPI_COMM_WORLD, &q));
    CHECK_OK(MPI_Request_free(&q));
    CHECK_OK(MPI_Send(&x, 1, MPI_INT, peer, 54, MPI_COMM_WORLD));
    /* Ordering: our next message to the peer comes after its 54, so once
     * the peer answers, its 54 has been received (by our freed request). */
    CHECK_OK(MPI_Sendrecv(&x, 1, MPI_INT, peer, 55, &v, 1, MPI_INT, peer, 55, MPI_COMM_WORLD,
                          MPI_STATUS_IGNORE));
    while (!late) CHECK_OK(MPI_Iprobe(peer, 999, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE));
    CHECK_INT(late, peer + 100);
}

/* The same persistent send and receive, restarted. */
static void persistent(void)
{
    int out, in;
    MPI_Request rq[2];
    for (int mode = 0; mode < 4; mode++) {
        int (*init)(const void *, int, MPI_Datatype, int, int, MPI_Comm, MPI_Request *) =
            mode == 0   ? MPI_Send_init
            : mode == 1 ? MPI_Ssend_init
            : mode == 2 ? MPI_Bsend_init
                        : MPI_Rsend_init;
        char bbuf[4 * (sizeof(int) + MPI_BSEND_OVERHEAD)];
        if (mode == 2) CHECK_OK(MPI_Buffer_attach(bbuf, sizeof bbuf));
        CHECK_OK(MPI_Recv_init(&in, 1, MPI_INT, peer, 60 + mode, MPI_COMM_WORLD, &rq[0]));
        CHECK_OK(init(&out, 1, MPI_INT, peer, 60 + mode, MPI_COMM_WORLD, &rq[1]));
        /* Inactive: waits return at once with an empty status. */
        MPI_Status st;
        CHECK_OK(MPI_Wait(&rq[0], &st));
        CHECK(rq[0] != MPI_REQUEST_NULL);
        CHECK_INT(st.MPI_SOURCE, MPI_ANY_SOURCE);
        for (int it = 0; it < 50; it++) {
            out = rank * 100 + it;
            in = -1;
            CHECK_OK(MPI_Start(&rq[0]));
            if (mode == 3) /* ready mode: the receive is posted everywhere */
                CHECK_OK(MPI_Sendrecv(NULL, 0, MPI_INT, peer, 70, NULL, 0, MPI_INT, peer, 70,
                                      MPI_COMM_WORLD, MPI_STATUS_IGNORE));
            CHECK_OK(MPI_Start(&rq[1]));
            MPI_Status sts[2];
            CHECK_OK(MPI_Waitall(2, rq, sts));
            CHECK(rq[0] != MPI_REQUEST_NULL && rq[1] != MPI_REQUEST_NULL);
            CHECK_INT(in, peer * 100 + it);
            CHECK_INT(sts[0].MPI_TAG, 60 + mode);
        }
        /* Startall, then free. */
        CHECK_OK(MPI_Startall(2, rq));
        if (mode == 3)
            CHECK_OK(MPI_Sendrecv(NULL, 0, MPI_INT, peer, 70, NULL, 0, MPI_INT, peer, 70,
                                  MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        CHECK_OK(MPI_Waitall(2, rq, MPI_STATUSES_IGNORE));
        CHECK_OK(MPI_Request_free(&rq[0]));
        CHECK_OK(MPI_Request_free(&rq[1]));
        if (mode == 2) {
            void *a;
            int n;
            CHECK_OK(MPI_Buffer_detach(&a, &n));
        }
    }
}

static void ibsend(void)
{
    char bbuf[8 * (1000 * sizeof(int) + MPI_BSEND_OVERHEAD)];
    CHECK_OK(MPI_Buffer_attach(bbuf, sizeof bbuf));
    int data[1000], in[1000];
    MPI_Request q[8];
    for (int k = 0; k < 8; k++) {
        for (int i = 0; i < 1000; i++) data[i] = rank + k + i;
        CHECK_OK(MPI_Ibsend(data, 1000, MPI_INT, peer, 80 + k, MPI_COMM_WORLD, &q[k]));
    }
    /* Buffered: done without the peer. */
    int flag;
    CHECK_OK(MPI_Testall(8, q, &flag, MPI_STATUSES_IGNORE));
    CHECK(flag);
    for (int k = 7; k >= 0; k--) {
        CHECK_OK(MPI_Recv(in, 1000, MPI_INT, peer, 80 + k, MPI_COMM_WORLD, MPI_STATUS_IGNORE));
        for (int i = 0; i < 1000; i++) CHECK_INT(in[i], peer + k + i);
    }
    void *a;
    int n;
    CHECK_OK(MPI_Buffer_detach(&a, &n));
    CHECK(a == bbuf && n == (int)sizeof bbuf);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    CHECK(size >= 2);
    peer = rank ^ 1;
    if (peer < size) {
        exchange_all_forms();
        cancel_and_free();
        persistent();
        ibsend();
    }
    testall_all_or_nothing();
    mtest_done("nonblocking");
    MPI_Finalize();
    return 0;
}
