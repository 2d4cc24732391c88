/* Several threads per rank in the native API at once (ferry_init_thread
 * with FERRY_THREAD_MULTIPLE).
 *
 * threads [rounds]: thread t of every rank owns a port; each sends to
 * thread t of every rank (itself included) in blocking and nonblocking
 * forms, small and large messages, and receives with ferry_recv,
 * ferry_irecv + ferry_wait or ferry_test, checking every byte and the
 * per-sender order; meanwhile it allocates and destroys ports and shared
 * heap blocks. Then the wake-ups: a thread asleep in a receive gets a
 * message another thread of its rank sends it (a driver asleep in the
 * transport, and one parked while another drives) within milliseconds,
 * not at the end of a sleep. */
#define TEST_NAME "threads"
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "ferry.h"

#define NTHREADS 4
#define PER_PEER 40          /* messages from each sender to each port per round */
#define BIG      (40 * 1024) /* bytes of every 5th message: past the eager limit */

static int rank, size, rounds = 10;
static ferry_port_t mine[NTHREADS], *theirs; /* theirs[r * NTHREADS + t] */
static pthread_mutex_t fail_mu = PTHREAD_MUTEX_INITIALIZER;

#define TCHECK(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            pthread_mutex_lock(&fail_mu);                                                          \
            CHECK(cond, __VA_ARGS__);                                                              \
            pthread_mutex_unlock(&fail_mu);                                                        \
        }                                                                                          \
    } while (0)

static size_t msg_len(uint32_t seq)
{
    return seq % 5 == 4 ? BIG : 16 + (seq * 37) % 500;
}

/* Message seq from src to thread t: a header then bytes derived from all. */
static void fill(unsigned char *b, int src, int t, uint32_t seq)
{
    size_t len = msg_len(seq);
    uint32_t h[3] = {(uint32_t)src, (uint32_t)t, seq};
    memcpy(b, h, sizeof h);
    for (size_t i = sizeof h; i < len; i++) b[i] = (unsigned char)(src * 31 + t * 7 + seq + i);
}

static void verify(const unsigned char *b, size_t len, int t, uint32_t *next)
{
    uint32_t h[3];
    TCHECK(len >= sizeof h, "thread %d: a message of %zu bytes", t, len);
    if (len < sizeof h) return;
    memcpy(h, b, sizeof h);
    int src = (int)h[0];
    TCHECK(src >= 0 && src < size && (int)h[1] == t, "thread %d: header %u %u", t, h[0], h[1]);
    if (src < 0 || src >= size) return;
    TCHECK(h[2] == next[src], "thread %d: from rank %d seq %u, expected %u (order)", t, src, h[2],
           next[src]);
    TCHECK(len == msg_len(h[2]), "thread %d: from %d seq %u: %zu bytes", t, src, h[2], len);
    for (size_t i = sizeof h; i < len; i++)
        if (b[i] != (unsigned char)(src * 31 + t * 7 + h[2] + i)) {
            TCHECK(0, "thread %d: from %d seq %u: byte %zu differs", t, src, h[2], i);
            break;
        }
    next[src] = h[2] + 1;
}

struct sender {
    int t;
    uint32_t seq;
};

/* The senders of thread t: one per destination rank, each sending its
 * messages in order, alternately blocking and nonblocking. */
static void *send_all(void *arg)
{
    struct sender *s = arg;
    int t = s->t;
    unsigned char *buf = malloc((size_t)size * BIG);
    for (uint32_t k = 0; k < PER_PEER; k++) {
        ferry_request_t req[64];
        int nreq = 0;
        for (int r = 0; r < size; r++) {
            unsigned char *b = buf + (size_t)r * BIG;
            uint32_t seq = s->seq + k;
            fill(b, rank, t, seq);
            int rc;
            if (k % 2) {
                rc = ferry_isend(theirs[r * NTHREADS + t], b, msg_len(seq), &req[nreq++]);
            } else {
                rc = ferry_send(theirs[r * NTHREADS + t], b, msg_len(seq));
            }
            TCHECK(rc == FERRY_OK, "thread %d send to %d: %s", t, r, ferry_strerror(rc));
        }
        for (int i = 0; i < nreq; i++) {
            int rc = ferry_wait(&req[i], NULL);
            TCHECK(rc == FERRY_OK, "thread %d wait: %s", t, ferry_strerror(rc));
        }
    }
    s->seq += PER_PEER;
    free(buf);
    return NULL;
}

/* Churn on shared tables while messages flow: ports and heap blocks. */
static void churn(int t, int i)
{
    ferry_port_t p;
    int rc = ferry_port_alloc(&p, 4);
    TCHECK(rc == FERRY_OK, "thread %d port_alloc: %s", t, ferry_strerror(rc));
    if (!rc) {
        rc = ferry_send(p, &i, sizeof i);
        int got = -1;
        if (!rc) rc = ferry_recv(p, &got, sizeof got, NULL, FERRY_FOREVER);
        TCHECK(rc == FERRY_OK && got == i, "thread %d: own port: %s, %d", t, ferry_strerror(rc),
               got);
        TCHECK(ferry_port_destroy(p) == FERRY_OK, "thread %d port_destroy", t);
    }
    void *m;
    if (ferry_mem_alloc(1000 + (size_t)i, &m) == FERRY_OK) {
        memset(m, t, 1000);
        TCHECK(ferry_mem_free(m) == FERRY_OK, "thread %d mem_free", t);
    }
}

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    uint32_t *next = calloc((size_t)size, sizeof *next);
    unsigned char *buf = malloc(BIG);
    struct sender s = {t, 0};
    for (int round = 0; round < rounds; round++) {
        pthread_t snd;
        pthread_create(&snd, NULL, send_all, &s);
        int expect = size * PER_PEER;
        for (int i = 0; i < expect; i++) {
            ferry_status_t st;
            int rc, how = i % 3;
            if (how == 0) {
                rc = ferry_recv(mine[t], buf, BIG, &st, FERRY_FOREVER);
            } else {
                ferry_request_t req;
                rc = ferry_irecv(mine[t], buf, BIG, &req);
                if (!rc && how == 1) {
                    rc = ferry_wait(&req, &st);
                } else if (!rc) {
                    int done = 0;
                    while (!rc && !done) rc = ferry_test(&req, &done, &st);
                }
            }
            TCHECK(rc == FERRY_OK, "thread %d receive: %s", t, ferry_strerror(rc));
            if (!rc) verify(buf, st.size, t, next);
            if (i % 16 == 0) churn(t, i);
        }
        pthread_join(snd, NULL);
    }
    free(buf);
    free(next);
    return NULL;
}

static double now_ms(void)
{
    return now() * 1e3;
}

struct sleeper {
    ferry_port_t p;
    double got;
};

static void *recv_one(void *arg)
{
    struct sleeper *s = arg;
    int x;
    TCHECK(ferry_recv(s->p, &x, sizeof x, NULL, FERRY_FOREVER) == FERRY_OK, "recv");
    s->got = now_ms();
    return NULL;
}

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double send_one(ferry_port_t p)
{
    int x = 1;
    double t = now_ms();
    TCHECK(ferry_send(p, &x, sizeof x) == FERRY_OK, "send");
    return t;
}

/* Thread a waits first and drives progress, asleep in the transport by
 * the time b waits too (b parks). The main thread sends to b, then to a.
 * A driver sleeps 100 ms at a time: had b not been woken it would wait
 * for a to leave (60 ms), had a not been, for the end of its sleep. */
static void wakeups(void)
{
    enum { N = 5 };
    double lat_a[N], lat_b[N];
    for (int i = 0; i < N; i++) {
        struct sleeper a = {.got = 0}, b = {.got = 0};
        TCHECK(ferry_port_alloc(&a.p, 0) == FERRY_OK && ferry_port_alloc(&b.p, 0) == FERRY_OK,
               "port_alloc");
        pthread_t ta, tb;
        pthread_create(&ta, NULL, recv_one, &a);
        nap_ms(20);
        pthread_create(&tb, NULL, recv_one, &b);
        nap_ms(30);
        double sent_b = send_one(b.p);
        nap_ms(60);
        double sent_a = send_one(a.p);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        lat_a[i] = a.got - sent_a;
        lat_b[i] = b.got - sent_b;
        ferry_port_destroy(a.p);
        ferry_port_destroy(b.p);
    }
    /* The least of each: scheduling on a busy machine delays some. */
    double min_a = lat_a[0], min_b = lat_b[0];
    for (int i = 1; i < N; i++) {
        min_a = lat_a[i] < min_a ? lat_a[i] : min_a;
        min_b = lat_b[i] < min_b ? lat_b[i] : min_b;
    }
    TCHECK(min_a < 30, "the thread asleep in the transport woke %.1f ms after a message", min_a);
    TCHECK(min_b < 30, "the parked thread woke %.1f ms after a message", min_b);
    printf("threads: rank %d wake-up of the sleeping driver %.3f ms, of a parked thread %.3f ms "
           "(least of %d)\n",
           rank, min_a, min_b, N);
}

int main(int argc, char **argv)
{
    if (argc > 1) rounds = atoi(argv[1]);
    int rc = ferry_init_thread(&argc, &argv, FERRY_THREAD_MULTIPLE);
    if (rc) {
        fprintf(stderr, "ferry_init_thread: %s\n", ferry_strerror(rc));
        return 1;
    }
    CHECK(ferry_init_thread(NULL, NULL, 2) == FERRY_ERR_INVALID, "an unknown flag is refused");
    rank = ferry_rank();
    size = ferry_size();
    theirs = calloc((size_t)size * NTHREADS, sizeof *theirs);
    char name[64];
    for (int t = 0; t < NTHREADS; t++) {
        CHECK(ferry_port_alloc(&mine[t], 8) == FERRY_OK, "port_alloc");
        snprintf(name, sizeof name, "threads.%d.%d", rank, t);
        CHECK(ferry_name_register(name, mine[t]) == FERRY_OK, "register %s", name);
    }
    for (int r = 0; r < size; r++)
        for (int t = 0; t < NTHREADS; t++) {
            snprintf(name, sizeof name, "threads.%d.%d", r, t);
            CHECK(ferry_name_lookup(name, &theirs[r * NTHREADS + t], 30000) == FERRY_OK,
                  "lookup %s", name);
        }
    double t0 = now();
    pthread_t th[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
    for (int t = 0; t < NTHREADS; t++) pthread_join(th[t], NULL);
    double t1 = now();
    wakeups();
    printf("threads: rank %d %d threads x %d rounds in %.2f s\n", rank, NTHREADS, rounds, t1 - t0);
    rc = ferry_finalize();
    CHECK(rc == FERRY_OK, "finalize: %s", ferry_strerror(rc));
    free(theirs);
    if (!failures) printf("threads: rank %d ok\n", rank);
    return failures ? 1 : 0;
}
