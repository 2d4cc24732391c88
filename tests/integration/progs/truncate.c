/* Truncated receives and receive timeouts, on 2 ranks.
 *
 * Rank 1 queues messages of every size in SIZES (eager and rendezvous) on
 * rank 0's well-known port, twice; rank 0 queues the same on a port of its
 * own. For each message rank 0 first receives into buffers too small and
 * expects FERRY_ERR_TRUNCATE with the real size, then receives it whole and
 * checks every byte, its sequence number and that bytes past the message are
 * untouched: the first round with ferry_recv, the second with ferry_irecv +
 * ferry_wait. A third round from rank 1 meets short receives posted before
 * the message was sent. Then empty ports must time out: at once for a timeout of 0,
 * after about 200 ms for 200. A message sent after the timeouts must still
 * arrive, whole, to the next receive.
 */
#define _POSIX_C_SOURCE 200809L
#include <ferry.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const size_t SIZES[] = {1, 100, 4096, 16383, 16384, 16385, 65536 + 1, (1 << 20) + 3};
#define NSIZES          (sizeof(SIZES) / sizeof(SIZES[0]))
#define MAX_SIZE        ((1 << 20) + 3)
#define SLACK           64 /* bytes past the message that a receive must not touch */
#define LATE_SIZE       5000
#define TIMEOUT_MS      200
#define RECV_TIMEOUT_MS 60000

enum mode { BY_RECV, BY_IRECV };
/* Rounds 0 and 1 are queued at once; then one sent on demand; then one
 * message after the timeouts. */
#define POSTED_ROUND 2
#define LATE_ROUND   3

static int rank;

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "truncate: rank %d: ", rank);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void check_rc(int rc, const char *what)
{
    if (rc != FERRY_OK) die("%s: %s (%d)", what, ferry_strerror(rc), rc);
}

static unsigned char pattern(int src, int round, size_t size, size_t i)
{
    return (unsigned char)((i * 131 + (i >> 10) * 17 + size * 7 + (size_t)round * 61 +
                            (size_t)src * 29) ^
                           0x3c);
}

static void fill(unsigned char *p, int src, int round, size_t size)
{
    for (size_t i = 0; i < size; i++) p[i] = pattern(src, round, size, i);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One receive with capacity cap, by either API. */
static int recv_one(enum mode m, ferry_port_t port, void *buf, size_t cap, ferry_status_t *st)
{
    if (m == BY_RECV) return ferry_recv(port, buf, cap, st, RECV_TIMEOUT_MS);
    ferry_request_t req;
    int rc = ferry_irecv(port, buf, cap, &req);
    if (rc != FERRY_OK) return rc;
    rc = ferry_wait(&req, st);
    if (req != NULL) die("ferry_wait left the request set (rc %d)", rc);
    if (st->error != rc) die("ferry_wait returned %d but status.error is %d", rc, st->error);
    return rc;
}

/* Checks a truncating completion: FERRY_ERR_TRUNCATE, the real size, and
 * nothing written past the capacity. */
static void check_truncated(int rc, const ferry_status_t *st, const unsigned char *buf, size_t cap,
                            size_t size, const char *where)
{
    if (rc != FERRY_ERR_TRUNCATE)
        die("%s: %zu-byte message into %zu bytes: got %s (%d), expected FERRY_ERR_TRUNCATE", where,
            size, cap, ferry_strerror(rc), rc);
    if (st->size != size)
        die("%s: FERRY_ERR_TRUNCATE into %zu bytes reports size %zu, real size %zu", where, cap,
            st->size, size);
    for (size_t i = cap; i < size + SLACK; i++)
        if (buf[i] != 0xee)
            die("%s: truncated receive into %zu bytes wrote byte %zu", where, cap, i);
}

static void expect_truncate(enum mode m, ferry_port_t port, unsigned char *buf, size_t cap,
                            size_t size, const char *where)
{
    ferry_status_t st;
    memset(&st, 0, sizeof(st));
    int rc = recv_one(m, port, cap ? buf : NULL, cap, &st);
    check_truncated(rc, &st, buf, cap, size, where);
}

/* Receives the message with room to spare and checks all of it. */
static void receive_whole(enum mode m, ferry_port_t port, int src, int round, size_t size,
                          uint64_t *seq, unsigned char *buf, const char *where)
{
    ferry_status_t st;
    int rc = recv_one(m, port, buf, size + SLACK / 2, &st);
    if (rc != FERRY_OK)
        die("%s: %zu-byte message into %zu bytes after truncation: %s", where, size,
            size + SLACK / 2, ferry_strerror(rc));
    if (st.size != size || st.source != src || st.seq != *seq)
        die("%s: got %zu bytes from rank %d (seq %llu), expected %zu from rank %d (seq %llu)",
            where, st.size, st.source, (unsigned long long)st.seq, size, src,
            (unsigned long long)*seq);
    if (!ferry_port_equal(st.port, port)) die("%s: status names another port", where);
    for (size_t i = 0; i < size; i++)
        if (buf[i] != pattern(src, round, size, i))
            die("%s: %zu-byte message wrong at byte %zu", where, size, i);
    for (size_t i = size; i < size + SLACK; i++)
        if (buf[i] != 0xee) die("%s: %zu-byte message wrote byte %zu", where, size, i);
    ++*seq;
}

/* The messages of one round on port, sent by src: each is truncated twice
 * (no room at all, one byte short), then received with room to spare. */
static void receive_round(enum mode m, ferry_port_t port, int src, int round, uint64_t *seq,
                          unsigned char *buf)
{
    char where[96];
    snprintf(where, sizeof(where), "%s from rank %d, round %d",
             m == BY_RECV ? "ferry_recv" : "ferry_irecv", src, round);
    for (size_t k = 0; k < NSIZES; k++) {
        size_t size = SIZES[k];
        memset(buf, 0xee, size + SLACK);
        expect_truncate(m, port, buf, 0, size, where);
        expect_truncate(m, port, buf, size - 1, size, where);
        receive_whole(m, port, src, round, size, seq, buf, where);
    }
}

/* Round POSTED_ROUND: the short receive is posted before rank 1 sends (it
 * waits for a word from rank 0), so it is matched on arrival, not from the
 * queue; the message must stay queued all the same. */
static void posted_round(ferry_port_t me, uint64_t *seq, unsigned char *buf)
{
    const char *where = "ferry_irecv posted before arrival, from rank 1";
    for (size_t k = 0; k < NSIZES; k++) {
        size_t size = SIZES[k];
        ferry_request_t req;
        ferry_status_t st;
        memset(buf, 0xee, size + SLACK);
        check_rc(ferry_irecv(me, buf, size - 1, &req), "ferry_irecv");
        check_rc(ferry_send(ferry_port_of_rank(1), NULL, 0), "ferry_send (go)");
        int rc = ferry_wait(&req, &st);
        check_truncated(rc, &st, buf, size - 1, size, where);
        receive_whole(BY_RECV, me, 1, POSTED_ROUND, size, seq, buf, where);
    }
}

/* Queues both rounds on port without waiting: the receiver must keep a
 * truncated message at the head of the queue, ahead of the ones behind it. */
static void send_rounds(ferry_port_t port, ferry_request_t *req, unsigned char **bufs)
{
    for (int round = 0; round < 2; round++)
        for (size_t k = 0; k < NSIZES; k++) {
            size_t i = round * NSIZES + k;
            bufs[i] = malloc(SIZES[k]);
            if (!bufs[i]) die("out of memory");
            fill(bufs[i], rank, round, SIZES[k]);
            check_rc(ferry_isend(port, bufs[i], SIZES[k], &req[i]), "ferry_isend");
        }
}

static void wait_rounds(ferry_request_t *req, unsigned char **bufs)
{
    for (size_t i = 0; i < 2 * NSIZES; i++) {
        ferry_status_t st;
        check_rc(ferry_wait(&req[i], &st), "ferry_wait (send)");
        free(bufs[i]);
    }
}

static void expect_timeout(ferry_port_t port, int timeout_ms, double min_s, double max_s,
                           const char *what)
{
    unsigned char b[16];
    ferry_status_t st;
    double t = now();
    int rc = ferry_recv(port, b, sizeof(b), &st, timeout_ms);
    t = now() - t;
    if (rc != FERRY_ERR_TIMEOUT)
        die("%s: ferry_recv with timeout %d ms: %s (%d), expected FERRY_ERR_TIMEOUT", what,
            timeout_ms, ferry_strerror(rc), rc);
    if (t < min_s || t > max_s)
        die("%s: timeout of %d ms returned after %.1f ms, expected %.0f to %.0f ms", what,
            timeout_ms, t * 1e3, min_s * 1e3, max_s * 1e3);
    printf("truncate: %s: timeout %d ms returned after %.1f ms\n", what, timeout_ms, t * 1e3);
}

static void rank0(void)
{
    ferry_port_t me = ferry_port_of_rank(0), own;
    ferry_request_t req[2 * NSIZES];
    unsigned char *bufs[2 * NSIZES];
    unsigned char *buf = malloc(MAX_SIZE + SLACK);
    uint64_t seq1 = 0, seq_self = 0;
    ferry_status_t st;

    if (!buf) die("out of memory");
    check_rc(ferry_port_alloc(&own, 0), "ferry_port_alloc");

    /* From rank 1, on the well-known port. */
    receive_round(BY_RECV, me, 1, 0, &seq1, buf);
    receive_round(BY_IRECV, me, 1, 1, &seq1, buf);
    posted_round(me, &seq1, buf);
    /* From this rank, on its own port. */
    send_rounds(own, req, bufs);
    receive_round(BY_RECV, own, 0, 0, &seq_self, buf);
    receive_round(BY_IRECV, own, 0, 1, &seq_self, buf);
    wait_rounds(req, bufs);
    printf("truncate: %zu messages truncated twice each, %zu truncated on arrival, all then "
           "received whole\n",
           4 * NSIZES, NSIZES);

    /* Rank 1 is waiting for the word to go: both ports are empty. */
    expect_timeout(me, 0, 0, 0.05, "empty well-known port");
    expect_timeout(own, 0, 0, 0.05, "empty own port");
    expect_timeout(me, TIMEOUT_MS, 0.195, 1.0, "empty well-known port");
    expect_timeout(own, TIMEOUT_MS, 0.195, 1.0, "empty own port");

    /* A receive that timed out must not swallow the next message. */
    check_rc(ferry_send(ferry_port_of_rank(1), NULL, 0), "ferry_send (go)");
    memset(buf, 0xee, LATE_SIZE + SLACK);
    check_rc(ferry_recv(me, buf, MAX_SIZE, &st, RECV_TIMEOUT_MS), "ferry_recv (late message)");
    if (st.size != LATE_SIZE || st.source != 1 || st.seq != seq1)
        die("late message: %zu bytes from rank %d (seq %llu), expected %d from rank 1 (seq %llu)",
            st.size, st.source, (unsigned long long)st.seq, LATE_SIZE, (unsigned long long)seq1);
    for (size_t i = 0; i < LATE_SIZE; i++)
        if (buf[i] != pattern(1, LATE_ROUND, LATE_SIZE, i))
            die("late message wrong at byte %zu", i);
    printf("truncate: message after the timeouts arrived whole\n");

    check_rc(ferry_send(ferry_port_of_rank(1), NULL, 0), "ferry_send (done)");
    check_rc(ferry_port_destroy(own), "ferry_port_destroy");
    free(buf);
}

static void rank1(void)
{
    ferry_port_t me = ferry_port_of_rank(1);
    ferry_request_t req[2 * NSIZES];
    unsigned char *bufs[2 * NSIZES], late[LATE_SIZE];
    ferry_status_t st;

    send_rounds(ferry_port_of_rank(0), req, bufs);
    wait_rounds(req, bufs);
    for (size_t k = 0; k < NSIZES; k++) {
        unsigned char *p = malloc(SIZES[k]);
        if (!p) die("out of memory");
        fill(p, 1, POSTED_ROUND, SIZES[k]);
        check_rc(ferry_recv(me, NULL, 0, &st, RECV_TIMEOUT_MS), "ferry_recv (go)");
        check_rc(ferry_send(ferry_port_of_rank(0), p, SIZES[k]), "ferry_send");
        free(p);
    }
    check_rc(ferry_recv(me, NULL, 0, &st, FERRY_FOREVER), "ferry_recv (go)");
    fill(late, 1, LATE_ROUND, LATE_SIZE);
    check_rc(ferry_send(ferry_port_of_rank(0), late, LATE_SIZE), "ferry_send (late message)");
    check_rc(ferry_recv(me, NULL, 0, &st, FERRY_FOREVER), "ferry_recv (done)");
}

int main(int argc, char **argv)
{
    check_rc(ferry_init(&argc, &argv), "ferry_init");
    rank = ferry_rank();
    if (ferry_size() != 2) die("run with exactly 2 ranks, not %d", ferry_size());
    if (rank == 0)
        rank0();
    else
        rank1();
    check_rc(ferry_finalize(), "ferry_finalize");
    return 0;
}
