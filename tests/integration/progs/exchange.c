/* All-to-all exchange of every size class, checked byte by byte.
 *
 * Every rank sends every size in SIZES to every rank, itself included, in
 * three phases that use the API differently:
 *   1. ring:  step d sends to rank+d and receives from rank-d with
 *             ferry_irecv + blocking ferry_send + ferry_wait;
 *   2. burst: all receives posted, then all sends as ferry_isend, completed
 *             by ferry_test polling and ferry_wait;
 *   3. any:   all sends as ferry_isend to the well-known ports, received with
 *             blocking ferry_recv from whoever comes first, growing the buffer
 *             after FERRY_ERR_TRUNCATE.
 * Phases 1 and 2 use private ports, one per (receiver, sender) pair, so a
 * receive can be posted with the exact size expected. Content depends on
 * (phase, source, destination, size); size, source, port and sequence number
 * are checked for every message.
 *
 *   exchange [--big]   --big adds one 2 GiB + 1 byte message from rank 0 to 1
 *
 * Each rank prints "exchange: rank R of N: M messages, B bytes verified".
 */
#define _POSIX_C_SOURCE 200809L
#include <ferry.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const size_t SIZES[] = {
    0, 1, 7, 8, 63, 64, 65, 4095, 4096, 65536 + 3, (1 << 20) + 5, 16 << 20,
};
#define NSIZES   (sizeof(SIZES) / sizeof(SIZES[0]))
#define MAX_SIZE ((size_t)16 << 20)
#define BIG_SIZE (((size_t)2 << 30) + 1)
/* Phase 3 first receives into this much; larger messages come back as
 * FERRY_ERR_TRUNCATE and are received again into a buffer of their size. */
#define ANY_CAP         4096
#define RECV_TIMEOUT_MS 60000

enum phase { PH_RING = 1, PH_BURST = 2, PH_ANY = 3, PH_BIG = 4 };

static int rank, nranks;
static unsigned long long n_msgs, n_bytes;
/* from_port[s]: this rank's port that only rank s sends to; to_port[d]: rank
 * d's port that only this rank sends to. */
static ferry_port_t *from_port, *to_port;
/* Next expected sequence number per sender, on from_port[s] and on the
 * well-known port. */
static uint64_t *priv_seq, *wk_seq;

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "exchange: rank %d: ", rank);
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

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory allocating %zu bytes", n);
    return p;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t seed_of(enum phase ph, int src, int dst, size_t size)
{
    return mix64(((uint64_t)ph << 56 | (uint64_t)src << 28 | (uint64_t)dst) ^ mix64(size));
}

/* Word j of a message is seed ^ j * golden: cheap enough for 2 GiB, and a
 * shifted, stale or misdirected buffer does not match. */
static uint64_t word_at(uint64_t seed, size_t j)
{
    return seed ^ (uint64_t)j * 0x9e3779b97f4a7c15ull;
}

static void fill(unsigned char *p, size_t n, uint64_t seed)
{
    size_t j;
    for (j = 0; j < n / 8; j++) {
        uint64_t w = word_at(seed, j);
        memcpy(p + 8 * j, &w, 8);
    }
    uint64_t w = word_at(seed, j);
    memcpy(p + 8 * j, &w, n % 8);
}

/* Returns the offset of the first wrong byte, or n. */
static size_t first_mismatch(const unsigned char *p, size_t n, uint64_t seed)
{
    size_t j;
    for (j = 0; j < n / 8; j++) {
        uint64_t w = word_at(seed, j), got;
        memcpy(&got, p + 8 * j, 8);
        if (got != w) break;
    }
    for (size_t i = 8 * j; i < n; i++) {
        uint64_t w = word_at(seed, i / 8);
        unsigned char want;
        memcpy(&want, (unsigned char *)&w + i % 8, 1);
        if (p[i] != want) return i;
    }
    return n;
}

static const char *phase_name(enum phase ph)
{
    static const char *names[] = {"?", "ring", "burst", "any", "big"};
    return names[ph];
}

/* Checks one received message completely and counts it. */
static void verify(enum phase ph, const ferry_status_t *st, ferry_port_t port, int src, size_t size,
                   uint64_t seq, const unsigned char *buf)
{
    if (st->source != src || st->size != size)
        die("%s: got %zu bytes from rank %d, expected %zu bytes from rank %d", phase_name(ph),
            st->size, st->source, size, src);
    if (st->seq != seq)
        die("%s: message of %zu bytes from rank %d has seq %llu, expected %llu", phase_name(ph),
            size, src, (unsigned long long)st->seq, (unsigned long long)seq);
    if (!ferry_port_equal(st->port, port))
        die("%s: message from rank %d reports port (%u,%u,%u), received on (%u,%u,%u)",
            phase_name(ph), src, st->port.rank, st->port.index, st->port.gen, port.rank, port.index,
            port.gen);
    size_t bad = first_mismatch(buf, size, seed_of(ph, src, rank, size));
    if (bad != size)
        die("%s: message of %zu bytes from rank %d is wrong at byte %zu", phase_name(ph), size, src,
            bad);
    n_msgs++;
    n_bytes += size;
}

/* Phase 0: tell every rank d which of my ports is reserved for it. Nothing
 * else can arrive on the well-known port yet: phase 3 is the next use, and
 * no rank gets there before this one has sent its phase-2 messages. */
static void setup_ports(void)
{
    ferry_request_t *req = xmalloc(nranks * sizeof(*req));
    ferry_port_t me = ferry_port_of_rank(rank);

    for (int s = 0; s < nranks; s++)
        check_rc(ferry_port_alloc(&from_port[s], 0), "ferry_port_alloc");
    for (int d = 0; d < nranks; d++)
        check_rc(ferry_isend(ferry_port_of_rank(d), &from_port[d], sizeof(ferry_port_t), &req[d]),
                 "ferry_isend (port name)");
    for (int i = 0; i < nranks; i++) {
        ferry_port_t p;
        ferry_status_t st;
        check_rc(ferry_recv(me, &p, sizeof(p), &st, RECV_TIMEOUT_MS), "ferry_recv (port name)");
        if (st.source < 0 || st.source >= nranks || st.size != sizeof(p))
            die("port exchange: %zu bytes from rank %d", st.size, st.source);
        if (st.seq != wk_seq[st.source]++)
            die("port exchange: seq %llu from rank %d, expected %llu", (unsigned long long)st.seq,
                st.source, (unsigned long long)wk_seq[st.source] - 1);
        if (p.rank != (uint32_t)st.source)
            die("port exchange: rank %d sent a port of rank %u", st.source, p.rank);
        to_port[st.source] = p;
    }
    for (int d = 0; d < nranks; d++) {
        ferry_status_t st;
        check_rc(ferry_wait(&req[d], &st), "ferry_wait (port name)");
    }
    free(req);
}

/* Deadlock-free by construction: each step posts its receive before its
 * blocking send, and every rank's send in step d meets a receive the peer
 * posts in its own step d. */
static void phase_ring(void)
{
    unsigned char *sbuf = xmalloc(MAX_SIZE), *rbuf = xmalloc(MAX_SIZE);

    for (int d = 0; d < nranks; d++) {
        int to = (rank + d) % nranks, from = (rank - d + nranks) % nranks;
        for (size_t k = 0; k < NSIZES; k++) {
            size_t size = SIZES[k];
            ferry_request_t req;
            ferry_status_t st;
            memset(rbuf, 0x5a, size);
            check_rc(ferry_irecv(from_port[from], rbuf, size, &req), "ring: ferry_irecv");
            fill(sbuf, size, seed_of(PH_RING, rank, to, size));
            check_rc(ferry_send(to_port[to], sbuf, size), "ring: ferry_send");
            check_rc(ferry_wait(&req, &st), "ring: ferry_wait");
            if (req != NULL) die("ring: ferry_wait left the request set");
            verify(PH_RING, &st, from_port[from], from, size, priv_seq[from]++, rbuf);
        }
    }
    free(sbuf);
    free(rbuf);
}

static void phase_burst(void)
{
    size_t n = (size_t)nranks * NSIZES;
    unsigned char **rbuf = xmalloc(n * sizeof(*rbuf)), **sbuf = xmalloc(n * sizeof(*sbuf));
    ferry_request_t *rreq = xmalloc(n * sizeof(*rreq)), *sreq = xmalloc(n * sizeof(*sreq));

    /* Index s * NSIZES + k: the k-th message from (or to) rank s. A sender
     * sends in k order and FIFO per sender matches receives in posted order,
     * so each receive can be posted with its exact size. */
    for (int s = 0; s < nranks; s++)
        for (size_t k = 0; k < NSIZES; k++) {
            size_t i = s * NSIZES + k;
            rbuf[i] = xmalloc(SIZES[k]);
            memset(rbuf[i], 0x5a, SIZES[k]);
            check_rc(ferry_irecv(from_port[s], rbuf[i], SIZES[k], &rreq[i]), "burst: ferry_irecv");
        }
    for (size_t k = 0; k < NSIZES; k++)
        for (int d = 0; d < nranks; d++) {
            size_t i = d * NSIZES + k;
            sbuf[i] = xmalloc(SIZES[k]);
            fill(sbuf[i], SIZES[k], seed_of(PH_BURST, rank, d, SIZES[k]));
            check_rc(ferry_isend(to_port[d], sbuf[i], SIZES[k], &sreq[i]), "burst: ferry_isend");
        }

    /* Poll the receives a while, wait for the sends newest first, then wait
     * for whatever receives remain. */
    size_t left = n;
    for (int round = 0; round < 1000 && left; round++)
        for (size_t i = 0; i < n; i++) {
            int done = 0;
            ferry_status_t st;
            if (!rreq[i]) continue;
            check_rc(ferry_test(&rreq[i], &done, &st), "burst: ferry_test");
            if (!done) continue;
            if (rreq[i] != NULL) die("burst: ferry_test left a completed request set");
            int s = (int)(i / NSIZES);
            verify(PH_BURST, &st, from_port[s], s, SIZES[i % NSIZES], priv_seq[s] + i % NSIZES,
                   rbuf[i]);
            left--;
        }
    for (size_t i = n; i-- > 0;) {
        ferry_status_t st;
        check_rc(ferry_wait(&sreq[i], &st), "burst: ferry_wait (send)");
        free(sbuf[i]);
    }
    for (size_t i = 0; i < n; i++) {
        ferry_status_t st;
        if (!rreq[i]) continue;
        check_rc(ferry_wait(&rreq[i], &st), "burst: ferry_wait (receive)");
        int s = (int)(i / NSIZES);
        verify(PH_BURST, &st, from_port[s], s, SIZES[i % NSIZES], priv_seq[s] + i % NSIZES,
               rbuf[i]);
    }
    for (int s = 0; s < nranks; s++) priv_seq[s] += NSIZES;
    for (size_t i = 0; i < n; i++) free(rbuf[i]);
    free(rbuf);
    free(sbuf);
    free(rreq);
    free(sreq);
}

static void phase_any(void)
{
    size_t n = (size_t)nranks * NSIZES;
    unsigned char **sbuf = xmalloc(n * sizeof(*sbuf));
    ferry_request_t *sreq = xmalloc(n * sizeof(*sreq));
    size_t *next_k = calloc(nranks, sizeof(*next_k));
    ferry_port_t me = ferry_port_of_rank(rank);
    unsigned char *small = xmalloc(ANY_CAP);

    if (!next_k) die("out of memory");
    for (size_t k = 0; k < NSIZES; k++)
        for (int d = 0; d < nranks; d++) {
            size_t i = d * NSIZES + k;
            sbuf[i] = xmalloc(SIZES[k]);
            fill(sbuf[i], SIZES[k], seed_of(PH_ANY, rank, d, SIZES[k]));
            check_rc(ferry_isend(ferry_port_of_rank(d), sbuf[i], SIZES[k], &sreq[i]),
                     "any: ferry_isend");
        }

    for (size_t got = 0; got < n; got++) {
        ferry_status_t st;
        unsigned char *buf = small;
        int rc = ferry_recv(me, small, ANY_CAP, &st, RECV_TIMEOUT_MS);
        if (rc == FERRY_ERR_TIMEOUT)
            die("any: nothing arrived for %d ms after %zu of %zu messages", RECV_TIMEOUT_MS, got,
                n);
        if (rc == FERRY_ERR_TRUNCATE) {
            if (st.size <= ANY_CAP)
                die("any: FERRY_ERR_TRUNCATE with size %zu into %d bytes", st.size, ANY_CAP);
            ferry_status_t first = st;
            buf = xmalloc(first.size);
            memset(buf, 0x5a, first.size);
            check_rc(ferry_recv(me, buf, first.size, &st, RECV_TIMEOUT_MS),
                     "any: ferry_recv after FERRY_ERR_TRUNCATE");
            /* The truncated message stayed at the head of its queue (its
             * sender and sequence number are checked below). */
            if (st.size != first.size)
                die("any: FERRY_ERR_TRUNCATE reported %zu bytes, the next receive got %zu",
                    first.size, st.size);
        } else {
            check_rc(rc, "any: ferry_recv");
        }
        int s = st.source;
        if (s < 0 || s >= nranks) die("any: message from rank %d", s);
        if (next_k[s] >= NSIZES) die("any: more than %zu messages from rank %d", NSIZES, s);
        verify(PH_ANY, &st, me, s, SIZES[next_k[s]], wk_seq[s], buf);
        next_k[s]++;
        wk_seq[s]++;
        if (buf != small) free(buf);
    }
    for (size_t i = 0; i < n; i++) {
        ferry_status_t st;
        check_rc(ferry_wait(&sreq[i], &st), "any: ferry_wait (send)");
        free(sbuf[i]);
    }
    free(small);
    free(next_k);
    free(sbuf);
    free(sreq);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* MemAvailable in MiB, or -1 when unknown. */
static long mem_available_mib(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    long kib = -1;
    if (!f) return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "MemAvailable: %ld kB", &kib) == 1) break;
    fclose(f);
    return kib < 0 ? -1 : kib / 1024;
}

/* One 2 GiB + 1 byte message from rank 0 to rank 1: sizes past 2^31 must not
 * be truncated to int anywhere. Both ranks first agree that there is room.
 * Everything from here on uses the private ports: the well-known port may
 * still hold other ranks' phase-3 traffic. */
static void phase_big(void)
{
    int peer = 1 - rank;
    /* Both buffers live on this node if the peer does. */
    long need = (long)(BIG_SIZE >> 20) * (ferry_is_local(peer) ? 2 : 1) + 512;
    long avail = mem_available_mib();
    unsigned char ok = avail >= need, peer_ok = 0;
    ferry_status_t st;

    check_rc(ferry_send(to_port[peer], &ok, 1), "big: ferry_send (verdict)");
    check_rc(ferry_recv(from_port[peer], &peer_ok, 1, &st, RECV_TIMEOUT_MS),
             "big: ferry_recv (verdict)");
    if (st.source != peer || st.size != 1 || st.seq != priv_seq[peer]++)
        die("big: verdict of %zu bytes from rank %d (seq %llu)", st.size, st.source,
            (unsigned long long)st.seq);
    if (!ok || !peer_ok) {
        if (!ok)
            printf("exchange: SKIP 2 GiB+1 message: rank %d has %ld MiB available, needs %ld\n",
                   rank, avail, need);
        return;
    }

    unsigned char *buf = malloc(BIG_SIZE);
    if (!buf) die("big: cannot allocate %zu bytes despite %ld MiB available", BIG_SIZE, avail);
    if (rank == 0) {
        fill(buf, BIG_SIZE, seed_of(PH_BIG, 0, 1, BIG_SIZE));
        double t = now();
        check_rc(ferry_send(to_port[1], buf, BIG_SIZE), "big: ferry_send");
        printf("exchange: sent %zu bytes in %.2f s\n", BIG_SIZE, now() - t);
    } else {
        double t = now();
        check_rc(ferry_recv(from_port[0], buf, BIG_SIZE, &st, FERRY_FOREVER), "big: ferry_recv");
        t = now() - t;
        verify(PH_BIG, &st, from_port[0], 0, BIG_SIZE, priv_seq[0]++, buf);
        printf("exchange: big message of %zu bytes received in %.2f s and verified\n", BIG_SIZE, t);
    }
    free(buf);
}

static void recv_token(int from, int timeout_ms)
{
    ferry_status_t st;
    check_rc(ferry_recv(from_port[from], NULL, 0, &st, timeout_ms), "barrier: ferry_recv");
    if (st.source != from || st.size != 0 || st.seq != priv_seq[from]++)
        die("barrier: %zu bytes from rank %d (seq %llu), expected an empty message from rank %d",
            st.size, st.source, (unsigned long long)st.seq, from);
}

/* Everyone reports to rank 0, which then releases everyone: no rank
 * finalizes while others may still be receiving from it. */
static void barrier(void)
{
    if (rank == 0) {
        for (int i = 1; i < nranks; i++) recv_token(i, FERRY_FOREVER);
        for (int i = 1; i < nranks; i++)
            check_rc(ferry_send(to_port[i], NULL, 0), "barrier: ferry_send");
    } else {
        check_rc(ferry_send(to_port[0], NULL, 0), "barrier: ferry_send");
        recv_token(0, FERRY_FOREVER);
    }
}

int main(int argc, char **argv)
{
    int big = 0;

    check_rc(ferry_init(&argc, &argv), "ferry_init");
    rank = ferry_rank();
    nranks = ferry_size();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--big")) {
            big = 1;
        } else {
            fprintf(stderr, "usage: exchange [--big]\n");
            return 2;
        }
    }

    from_port = xmalloc(nranks * sizeof(*from_port));
    to_port = xmalloc(nranks * sizeof(*to_port));
    priv_seq = calloc(nranks, sizeof(*priv_seq));
    wk_seq = calloc(nranks, sizeof(*wk_seq));
    if (!priv_seq || !wk_seq) die("out of memory");

    setup_ports();
    phase_ring();
    phase_burst();
    phase_any();
    printf("exchange: rank %d of %d: %llu messages, %llu bytes verified\n", rank, nranks, n_msgs,
           n_bytes);
    fflush(stdout);
    if (big && nranks >= 2 && rank <= 1) phase_big();
    fflush(stdout);
    barrier();

    for (int s = 0; s < nranks; s++)
        check_rc(ferry_port_destroy(from_port[s]), "ferry_port_destroy");
    check_rc(ferry_finalize(), "ferry_finalize");
    free(from_port);
    free(to_port);
    free(priv_seq);
    free(wk_seq);
    return 0;
}
