/* MPI_THREAD_MULTIPLE: four threads per rank (the main thread and three
 * more) hammer point-to-point at once, each on a communicator of its own
 * (dup'ed in the main thread, then dup'ed again by each thread, all at
 * once), and then all on MPI_COMM_WORLD told apart by tag. Every payload
 * and the per-source order are checked. Between the two, collectives, each
 * thread on its own communicator, all at once, results checked.
 *
 * threads [rounds] */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "mtest.h"

#define NTHREADS 4
#define K        6    /* messages from each rank to each rank per step */
#define BIGN     6000 /* ints in every 3rd message: past the eager limit */
#define MAXN     BIGN

static int wrank, wsize, rounds = 8;
static pthread_t main_thread;

static int msg_count(int seq)
{
    return seq % 3 == 2 ? BIGN : 4 + (seq * 13) % 200;
}

/* Message seq from src in thread t's step: a header, then values of all. */
static void fill(int *b, int src, int t, int seq)
{
    int n = msg_count(seq);
    b[0] = src;
    b[1] = t;
    b[2] = seq;
    for (int i = 3; i < n; i++) b[i] = src * 1000003 + t * 10007 + seq * 101 + i;
}

/* A received message: its source, thread, size and bytes; *next is the
 * sequence number the source must send next (per-source order). */
static void verify(const int *b, const MPI_Status *st, int src, int t, int *next)
{
    int n;
    CHECK_OK(MPI_Get_count(st, MPI_INT, &n));
    CHECK_INT(st->MPI_SOURCE, src);
    CHECK_INT(b[0], src);
    CHECK_INT(b[1], t);
    CHECK_INT(b[2], *next);
    CHECK_INT(n, msg_count(b[2]));
    for (int i = 3; i < n; i++)
        if (b[i] != src * 1000003 + t * 10007 + b[2] * 101 + i) CHECK_INT(b[i], -1);
    (*next)++;
}

struct ctx {
    int t;
    MPI_Comm comm; /* the thread's own */
    int rank, size;
    int *sbuf; /* [size * K][MAXN] */
    int *rbuf; /* [size * K][MAXN] */
    int *next; /* [size] */
    int seq;   /* sequence number of this step's first message */
};

static int *slot(int *base, int i)
{
    return base + (size_t)i * MAXN;
}

/* Every rank sends K messages to every rank (itself too); the receiver
 * posts receives from MPI_ANY_SOURCE, which match in posting order, so
 * each source's messages must arrive in its sending order. Completed by
 * Waitany, Test and Waitsome in turn. */
static void step_anysource(struct ctx *c, int tag, int how)
{
    int n = c->size * K;
    MPI_Request *rr = malloc(sizeof *rr * (size_t)n), *sr = malloc(sizeof *sr * (size_t)n);
    MPI_Status *st = malloc(sizeof *st * (size_t)n);
    for (int i = 0; i < n; i++)
        CHECK_OK(MPI_Irecv(slot(c->rbuf, i), MAXN, MPI_INT, MPI_ANY_SOURCE, tag, c->comm, &rr[i]));
    for (int k = 0; k < K; k++)
        for (int d = 0; d < c->size; d++) {
            int i = k * c->size + d;
            fill(slot(c->sbuf, i), c->rank, c->t, c->seq + k);
            CHECK_OK(MPI_Isend(slot(c->sbuf, i), msg_count(c->seq + k), MPI_INT, d, tag, c->comm,
                               &sr[i]));
        }
    int left = n;
    while (left) {
        if (how == 0) {
            int idx;
            MPI_Status s;
            CHECK_OK(MPI_Waitany(n, rr, &idx, &s));
            CHECK(idx != MPI_UNDEFINED);
            st[idx] = s;
            left--;
        } else if (how == 1) {
            for (int i = 0; i < n; i++) {
                int flag = 0;
                if (rr[i] == MPI_REQUEST_NULL) continue;
                CHECK_OK(MPI_Test(&rr[i], &flag, &st[i]));
                left -= flag;
            }
        } else {
            int out, idx[64 * K];
            MPI_Status s[64 * K];
            CHECK_OK(MPI_Waitsome(n, rr, &out, idx, s));
            for (int j = 0; j < out; j++) st[idx[j]] = s[j];
            left -= out;
        }
    }
    CHECK_OK(MPI_Waitall(n, sr, MPI_STATUSES_IGNORE));
    /* In posting order, each source's sequence numbers go up by one. */
    int *next = calloc((size_t)c->size, sizeof *next);
    for (int i = 0; i < n; i++) {
        int src = st[i].MPI_SOURCE;
        CHECK(src >= 0 && src < c->size);
        next[src] = next[src] ? next[src] : c->seq;
        verify(slot(c->rbuf, i), &st[i], src, c->t, &next[src]);
    }
    free(next);
    free(rr);
    free(sr);
    free(st);
}

/* Probe then receive: the size comes from the probe. */
static void step_probe(struct ctx *c, int tag)
{
    int n = c->size * K;
    MPI_Request *sr = malloc(sizeof *sr * (size_t)n);
    for (int k = 0; k < K; k++)
        for (int d = 0; d < c->size; d++) {
            int i = k * c->size + d;
            fill(slot(c->sbuf, i), c->rank, c->t, c->seq + k);
            CHECK_OK(MPI_Isend(slot(c->sbuf, i), msg_count(c->seq + k), MPI_INT, d, tag, c->comm,
                               &sr[i]));
        }
    for (int d = 0; d < c->size; d++) c->next[d] = c->seq;
    for (int i = 0; i < n; i++) {
        MPI_Status st;
        if (i % 2) {
            CHECK_OK(MPI_Probe(MPI_ANY_SOURCE, tag, c->comm, &st));
        } else {
            int flag = 0;
            while (!flag) CHECK_OK(MPI_Iprobe(MPI_ANY_SOURCE, tag, c->comm, &flag, &st));
        }
        int cnt;
        CHECK_OK(MPI_Get_count(&st, MPI_INT, &cnt));
        int *b = slot(c->rbuf, 0);
        MPI_Status rs;
        CHECK_OK(MPI_Recv(b, cnt, MPI_INT, st.MPI_SOURCE, tag, c->comm, &rs));
        verify(b, &rs, st.MPI_SOURCE, c->t, &c->next[st.MPI_SOURCE]);
    }
    CHECK_OK(MPI_Waitall(n, sr, MPI_STATUSES_IGNORE));
    free(sr);
}

/* A ring of blocking calls: Send to the right (after a receive from the
 * left is posted), Recv from the left, for every message. */
static void step_ring(struct ctx *c, int tag)
{
    int right = (c->rank + 1) % c->size, left = (c->rank + c->size - 1) % c->size;
    int next = c->seq;
    for (int k = 0; k < K; k++) {
        MPI_Request r;
        int *b = slot(c->rbuf, 0);
        CHECK_OK(MPI_Irecv(b, MAXN, MPI_INT, left, tag, c->comm, &r));
        fill(slot(c->sbuf, 0), c->rank, c->t, c->seq + k);
        CHECK_OK(MPI_Send(slot(c->sbuf, 0), msg_count(c->seq + k), MPI_INT, right, tag, c->comm));
        MPI_Status st;
        CHECK_OK(MPI_Wait(&r, &st));
        verify(b, &st, left, c->t, &next);
        /* And a blocking receive, the sender a nonblocking one. */
        CHECK_OK(MPI_Isend(slot(c->sbuf, 0), msg_count(c->seq + k), MPI_INT, right, tag + 1,
                           c->comm, &r));
        CHECK_OK(MPI_Recv(b, MAXN, MPI_INT, left, tag + 1, c->comm, &st));
        next--;
        verify(b, &st, left, c->t, &next);
        CHECK_OK(MPI_Wait(&r, MPI_STATUS_IGNORE));
    }
}

static void run_steps(struct ctx *c, int base_tag)
{
    for (int r = 0; r < rounds; r++) {
        step_anysource(c, base_tag + 1, r % 3);
        c->seq += K;
        step_probe(c, base_tag + 2);
        c->seq += K;
        step_ring(c, base_tag + 3);
        c->seq += K;
    }
}

/* Collectives on the thread's own communicator, all threads at once:
 * results against values computed here. */
static void step_coll(struct ctx *c)
{
    int p = c->size, me = c->rank, t = c->t;
    for (int r = 0; r < rounds; r++) {
        int n = 1 + (r * 37 + t * 11) % 3000, *in = c->sbuf, *out = c->rbuf;
        for (int i = 0; i < n; i++) in[i] = me * 7 + i + t + r;
        CHECK_OK(MPI_Allreduce(in, out, n, MPI_INT, MPI_SUM, c->comm));
        for (int i = 0; i < n; i++) CHECK_INT(out[i], 7 * p * (p - 1) / 2 + p * (i + t + r));
        int root = r % p;
        for (int i = 0; i < n; i++) out[i] = me == root ? i * 3 + r : -1;
        CHECK_OK(MPI_Bcast(out, n, MPI_INT, root, c->comm));
        for (int i = 0; i < n; i++) CHECK_INT(out[i], i * 3 + r);
        MPI_Request req;
        int v = me + t, sum = -1;
        CHECK_OK(MPI_Iallreduce(&v, &sum, 1, MPI_INT, MPI_MAX, c->comm, &req));
        int flag = 0;
        while (!flag) CHECK_OK(MPI_Test(&req, &flag, MPI_STATUS_IGNORE));
        CHECK_INT(sum, p - 1 + t);
        CHECK_OK(MPI_Allgather(&v, 1, MPI_INT, out, 1, MPI_INT, c->comm));
        for (int i = 0; i < p; i++) CHECK_INT(out[i], i + t);
        CHECK_OK(MPI_Barrier(c->comm));
    }
}

static MPI_Comm dups[NTHREADS];

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    int is_main;
    CHECK_OK(MPI_Is_thread_main(&is_main));
    CHECK_INT(is_main, pthread_equal(pthread_self(), main_thread) != 0);
    struct ctx c = {.t = t};
    /* Communicator creation in every thread at once, each on its own. */
    CHECK_OK(MPI_Comm_dup(dups[t], &c.comm));
    CHECK_OK(MPI_Comm_rank(c.comm, &c.rank));
    CHECK_OK(MPI_Comm_size(c.comm, &c.size));
    c.sbuf = malloc(sizeof(int) * MAXN * (size_t)c.size * K);
    c.rbuf = malloc(sizeof(int) * MAXN * (size_t)c.size * K);
    c.next = calloc((size_t)c.size, sizeof *c.next);
    run_steps(&c, 0);
    step_coll(&c);
    /* All threads on one communicator, told apart by tag. */
    MPI_Comm own = c.comm;
    c.comm = MPI_COMM_WORLD;
    c.seq = 0;
    run_steps(&c, 100 + 10 * t);
    CHECK_OK(MPI_Comm_free(&own));
    free(c.sbuf);
    free(c.rbuf);
    free(c.next);
    return NULL;
}

int main(int argc, char **argv)
{
    int provided = -1;
    main_thread = pthread_self();
    CHECK_OK(MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided));
    CHECK_INT(provided, MPI_THREAD_MULTIPLE);
    int q = -1;
    CHECK_OK(MPI_Query_thread(&q));
    CHECK_INT(q, MPI_THREAD_MULTIPLE);
    if (argc > 1) rounds = atoi(argv[1]);
    MPI_Comm_rank(MPI_COMM_WORLD, &wrank);
    MPI_Comm_size(MPI_COMM_WORLD, &wsize);
    for (int t = 0; t < NTHREADS; t++) CHECK_OK(MPI_Comm_dup(MPI_COMM_WORLD, &dups[t]));
    double t0 = MPI_Wtime();
    pthread_t th[NTHREADS];
    for (int t = 1; t < NTHREADS; t++)
        CHECK(pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t) == 0);
    worker((void *)(intptr_t)0);
    for (int t = 1; t < NTHREADS; t++) pthread_join(th[t], NULL);
    double t1 = MPI_Wtime();
    for (int t = 0; t < NTHREADS; t++) CHECK_OK(MPI_Comm_free(&dups[t]));
    if (wrank == 0)
        printf("threads: %d ranks x %d threads, %d rounds in %.2f s\n", wsize, NTHREADS, rounds,
               t1 - t0);
    mtest_done("threads");
    MPI_Finalize();
    return 0;
}
