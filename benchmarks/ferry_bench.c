/* Ferry point-to-point benchmark between ranks 0 and 1 through native
 * ports: latency, bandwidth, bidirectional bandwidth and message rate.
 *
 * The same measurement as mpi_bench.c (keep the two in step), with
 * ferry_send/ferry_recv and ferry_isend/ferry_irecv/ferry_wait on each
 * rank's well-known port. Both ranks raise their port's queue limit to
 * FERRY_QLIMIT_MAX first, as an MPI receive queue is unbounded. Ranks other
 * than 0 and 1 wait at the end.
 *
 *   ferryrun -n N ferry_bench [-t METRICS] [-m [MIN:]MAX] [-W WINDOW] [-s SCALE]
 *
 * Between ranks 0 and 1 (the default set):
 *   lat   half the round trip of a ping-pong, microseconds
 *   bw    rank 0 posts WINDOW sends, rank 1 WINDOW receives, then a 0-byte
 *         acknowledgement: bytes moved per second, MB/s (10^6 B/s)
 *   bibw  both ranks post WINDOW receives and WINDOW sends: MB/s both ways
 *   mr    the bw loop counted in messages: millions of messages per second
 *   idle  the CPU rank 1 uses while blocked 1 s in a receive (from
 *         /proc/PID/stat, which rank 0 reads): percent of one core
 * Among all ranks (meant for many ranks on few cores):
 *   ring  each rank receives from its left and sends to its right, in
 *         rounds: milliseconds for all ranks to finish (and, as
 *         "ring_rounds", how many rounds)
 *   a2a   each rank exchanges with every other, in rounds: milliseconds
 *         (and "a2a_rounds")
 *   foot  the node's shared segment in memory (bytes, from mincore) after
 *         one ring round ("foot_ring"), then after one all-to-all round
 *         ("foot_a2a"); the size column is the number of ranks
 *
 * Output: lines "METRIC SIZE VALUE" (comment lines start with '#'). Every
 * size ends with an untimed exchange whose data is checked.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* mincore */
#endif
#include <ferry.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_DEFAULT ((size_t)4 << 20)
#define MAX_LIMIT   ((size_t)1 << 30)

enum {
    M_LAT = 1,
    M_BW = 2,
    M_BIBW = 4,
    M_MR = 8,
    M_IDLE = 16,
    M_RING = 32,
    M_A2A = 64,
    M_FOOT = 128
};
#define M_P2P (M_LAT | M_BW | M_BIBW | M_MR)

struct options {
    unsigned metrics;
    size_t min, max;
    int window;
    double scale; /* iteration counts are multiplied by this */
};

static void usage(FILE *f)
{
    fprintf(f, "usage: ferry_bench [-t METRICS] [-m [MIN:]MAX] [-W WINDOW] [-s SCALE] [-h]\n"
               "  -t LIST     comma-separated, from lat bw bibw mr idle ring a2a foot\n"
               "              (default lat,bw,bibw,mr)\n"
               "  -m MIN:MAX  sizes: 0 if MIN is 0, then powers of two in [MIN, MAX]\n"
               "              (default 0:4194304)\n"
               "  -W WINDOW   messages in flight for bw, bibw, mr (default 64)\n"
               "  -s SCALE    multiply the iteration counts (default 1)\n");
}

static int parse_size(const char *s, const char *stop, size_t *out)
{
    char *end;
    if (s == stop || *s < '0' || *s > '9') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end != stop || v > MAX_LIMIT) return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_metrics(const char *s, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"lat", M_LAT},   {"bw", M_BW},     {"bibw", M_BIBW}, {"mr", M_MR},
                 {"idle", M_IDLE}, {"ring", M_RING}, {"a2a", M_A2A},   {"foot", M_FOOT}};
    *out = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        size_t i;
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == n && !strncmp(s, names[i].name, n)) break;
        if (i == sizeof names / sizeof names[0]) return -1;
        *out |= names[i].bit;
        s += n + (s[n] == ',');
    }
    return *out ? 0 : -1;
}

static int parse_options(int argc, char **argv, struct options *o, int *help)
{
    *o = (struct options){M_P2P, 0, MAX_DEFAULT, 64, 1.0};
    *help = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            *help = 1;
            return 0;
        }
        if (i + 1 >= argc || strlen(a) != 2 || !strchr("tmWs", a[1]) || a[0] != '-') return -1;
        const char *v = argv[++i];
        char *end;
        switch (a[1]) {
        case 't':
            if (parse_metrics(v, &o->metrics)) return -1;
            break;
        case 'm': {
            const char *colon = strchr(v, ':');
            if (colon ? parse_size(v, colon, &o->min) ||
                            parse_size(colon + 1, colon + 1 + strlen(colon + 1), &o->max)
                      : parse_size(v, v + strlen(v), &o->max))
                return -1;
            if (o->min > o->max) return -1;
            break;
        }
        case 'W':
            o->window = (int)strtol(v, &end, 10);
            if (*end || o->window < 1 || o->window > 1024) return -1;
            break;
        case 's':
            o->scale = strtod(v, &end);
            if (*end || !(o->scale > 0) || o->scale > 1000) return -1;
            break;
        }
    }
    return 0;
}

static long scaled(double base, const struct options *o)
{
    long n = (long)(base * o->scale);
    return n < 2 ? 2 : n;
}

static long lat_iters(size_t size, const struct options *o)
{
    return scaled(size <= 8192 ? 20000 : size <= ((size_t)1 << 20) ? 2000 : 200, o);
}

static long win_iters(size_t size, const struct options *o)
{
    double bytes = (double)(size ? size : 1) * o->window;
    double n = (double)(1u << 30) / bytes;
    return scaled(n > 2000 ? 2000 : n < 10 ? 10 : n, o);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, size_t size, int err)
{
    fprintf(stderr, "ferry_bench: rank %d: %s failed at size %zu: %s\n", ferry_rank(), what, size,
            ferry_strerror(err));
    exit(1);
}

/* Every rank's well-known port, and this rank's number: looked up once, as
 * an application would (mpi_bench names ranks directly). */
static ferry_port_t *wk;
static int me;

static void send_to(int peer, const void *buf, size_t size)
{
    int rc = ferry_send(wk[peer], buf, size);
    if (rc) die("ferry_send", size, rc);
}

static size_t recv_from(void *buf, size_t size)
{
    ferry_status_t st;
    int rc = ferry_recv(wk[me], buf, size, &st, FERRY_FOREVER);
    if (rc) die("ferry_recv", size, rc);
    return st.size;
}

static void isend_to(int peer, const void *buf, size_t size, ferry_request_t *req)
{
    int rc = ferry_isend(wk[peer], buf, size, req);
    if (rc) die("ferry_isend", size, rc);
}

static void irecv(void *buf, size_t size, ferry_request_t *req)
{
    int rc = ferry_irecv(wk[me], buf, size, req);
    if (rc) die("ferry_irecv", size, rc);
}

static void wait_all(int n, ferry_request_t *reqs, size_t size)
{
    for (int i = 0; i < n; i++) {
        int rc = ferry_wait(&reqs[i], NULL);
        if (rc) die("ferry_wait", size, rc);
    }
}

static unsigned char pattern_byte(size_t size, int from, size_t i)
{
    return (unsigned char)(i * 131 + (i >> 8) * 7 + size * 29 + (size_t)from * 101 + 1);
}

static void check_size(int rank, size_t size, unsigned char *sbuf, unsigned char *rbuf)
{
    int peer = 1 - rank;
    for (size_t i = 0; i < size; i++) sbuf[i] = pattern_byte(size, rank, i);
    memset(rbuf, 0xa5, size);
    if (rank == 0) send_to(peer, sbuf, size);
    size_t got = recv_from(rbuf, size);
    if (rank == 1) send_to(peer, sbuf, size);
    for (size_t i = 0; i < size; i++) {
        if (got != size || rbuf[i] != pattern_byte(size, peer, i)) {
            fprintf(stderr, "ferry_bench: rank %d: data mismatch at size %zu, byte %zu\n", rank,
                    size, i);
            exit(1);
        }
    }
}

static double run_lat(int rank, size_t size, long iters, void *sbuf, void *rbuf)
{
    int peer = 1 - rank;
    long warm = iters / 10 + 1;
    double t0 = 0;
    for (long i = 0; i < warm + iters; i++) {
        if (i == warm) t0 = now();
        if (rank == 0) {
            send_to(peer, sbuf, size);
            recv_from(rbuf, size);
        } else {
            recv_from(rbuf, size);
            send_to(peer, sbuf, size);
        }
    }
    return (now() - t0) * 1e6 / (2.0 * (double)iters);
}

static double run_bw(int rank, size_t size, long iters, int window, void *sbuf, void *rbuf,
                     ferry_request_t *reqs)
{
    long warm = iters / 10 + 1;
    double t0 = 0;
    for (long i = 0; i < warm + iters; i++) {
        if (i == warm) t0 = now();
        if (rank == 0) {
            for (int w = 0; w < window; w++) isend_to(1, sbuf, size, &reqs[w]);
            wait_all(window, reqs, size);
            recv_from(NULL, 0);
        } else {
            for (int w = 0; w < window; w++) irecv(rbuf, size, &reqs[w]);
            wait_all(window, reqs, size);
            send_to(0, NULL, 0);
        }
    }
    return (now() - t0) / (double)iters;
}

static double run_bibw(int rank, size_t size, long iters, int window, void *sbuf, void *rbuf,
                       ferry_request_t *reqs)
{
    int peer = 1 - rank;
    long warm = iters / 10 + 1;
    double t0 = 0;
    for (long i = 0; i < warm + iters; i++) {
        if (i == warm) t0 = now();
        for (int w = 0; w < window; w++) irecv(rbuf, size, &reqs[w]);
        for (int w = 0; w < window; w++) isend_to(peer, sbuf, size, &reqs[window + w]);
        wait_all(2 * window, reqs, size);
    }
    return (now() - t0) / (double)iters;
}

/* utime + stime of a process, in clock ticks; -1 if unreadable. */
static long cpu_ticks(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* Fields after the command name, which may hold spaces: state is 3rd,
     * utime the 14th, stime the 15th. */
    char *p = strrchr(buf, ')');
    unsigned long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (long)(ut + st);
}

/* Percent of a core rank 1 uses while blocked in a receive for 1 s. */
static double run_idle(int rank)
{
    int pid = (int)getpid();
    double pct = -1;
    if (rank == 1) {
        send_to(0, &pid, sizeof pid);
        recv_from(NULL, 0);
    } else {
        recv_from(&pid, sizeof pid);
        /* Let rank 1 reach its receive and settle first. */
        struct timespec settle = {0, 100000000L}, second = {1, 0};
        nanosleep(&settle, NULL);
        long t0 = cpu_ticks(pid);
        double w0 = now();
        nanosleep(&second, NULL);
        long t1 = cpu_ticks(pid);
        double w1 = now();
        if (t0 >= 0 && t1 >= 0)
            pct = 100.0 * (double)(t1 - t0) / (double)sysconf(_SC_CLK_TCK) / (w1 - w0);
        send_to(1, NULL, 0);
    }
    return pct;
}

/* Ports for the patterns among all ranks: one per (receiver, sender),
 * found through the name service. A receive then takes the next message of
 * one sender, as an MPI receive naming its source does (with any-source
 * receives, a fast sender's next round could take a slow one's place, and
 * large sends, which finish only once received, would wait for a round
 * that never comes), and the patterns' messages never mix with the
 * well-known ports' (native ports have no tags). */
static ferry_port_t *from; /* [s]: this rank's port for rank s's messages */
static ferry_port_t *to;   /* [r]: rank r's port for this rank's messages */

static void pattern_ports_init(int rank, int nranks)
{
    char name[64];
    int rc;
    from = calloc((size_t)nranks, sizeof *from);
    to = calloc((size_t)nranks, sizeof *to);
    if (!from || !to) die("calloc", 0, FERRY_ERR_NOMEM);
    for (int r = 0; r < nranks; r++) {
        if (r == rank) continue;
        if ((rc = ferry_port_alloc(&from[r], FERRY_QLIMIT_MAX))) die("ferry_port_alloc", 0, rc);
        snprintf(name, sizeof name, "ferry_bench.%d.%d", rank, r);
        if ((rc = ferry_name_register(name, from[r]))) die("ferry_name_register", 0, rc);
    }
    for (int r = 0; r < nranks; r++) {
        if (r == rank) continue;
        snprintf(name, sizeof name, "ferry_bench.%d.%d", r, rank);
        if ((rc = ferry_name_lookup(name, &to[r], 60000))) die("ferry_name_lookup", 0, rc);
    }
}

/* Every rank tells rank 0's well-known port it is done; rank 0 returns its
 * time once all are. */
static double all_done(int rank, int nranks)
{
    if (rank) {
        send_to(0, NULL, 0);
        return 0;
    }
    for (int r = 1; r < nranks; r++) recv_from(NULL, 0);
    return now();
}

static void pattern_isend(int dest, const void *buf, size_t size, ferry_request_t *req)
{
    int rc = ferry_isend(to[dest], buf, size, req);
    if (rc) die("ferry_isend", size, rc);
}

static void pattern_irecv(int src, void *buf, size_t size, ferry_request_t *req)
{
    int rc = ferry_irecv(from[src], buf, size, req);
    if (rc) die("ferry_irecv", size, rc);
}

/* Rounds of: receive from the left, send to the right. Milliseconds on
 * rank 0 from a common start to every rank done. */
static double run_ring(int rank, int nranks, size_t size, long rounds, void *sbuf, void *rbuf)
{
    int left = (rank + nranks - 1) % nranks, right = (rank + 1) % nranks;
    ferry_request_t reqs[2];
    double t0 = 0;
    for (long i = -1; i < rounds; i++) {
        if (i == 0) t0 = now(); /* after a first round: everyone is up */
        pattern_irecv(left, rbuf, size, &reqs[0]);
        pattern_isend(right, sbuf, size, &reqs[1]);
        wait_all(2, reqs, size);
    }
    return (all_done(rank, nranks) - t0) * 1e3;
}

/* Rounds of: every rank sends to and receives from every other. */
static double run_a2a(int rank, int nranks, size_t size, long rounds, void *sbuf, void *rbuf,
                      ferry_request_t *reqs)
{
    double t0 = 0;
    for (long i = -1; i < rounds; i++) {
        if (i == 0) t0 = now();
        int n = 0;
        for (int k = 1; k < nranks; k++)
            pattern_irecv((rank + nranks - k) % nranks, rbuf, size, &reqs[n++]);
        for (int k = 1; k < nranks; k++) pattern_isend((rank + k) % nranks, sbuf, size, &reqs[n++]);
        wait_all(n, reqs, size);
    }
    return (all_done(rank, nranks) - t0) * 1e3;
}

/* Rounds for the patterns among all ranks: ~64 MiB per rank, 20..2000. */
static long pattern_rounds(size_t size, int peers, const struct options *o)
{
    double n = (double)(64u << 20) / ((double)(size ? size : 1) * peers);
    return scaled(n > 2000 ? 2000 : n < 20 ? 20 : n, o);
}

/* Rank 0 lets the others go on, once it has taken everything sent to it:
 * a phase's messages to rank 0 never mix with the next phase's. */
static void release_all(int rank, int nranks)
{
    if (rank == 0)
        for (int r = 1; r < nranks; r++) send_to(r, NULL, 0);
    else
        recv_from(NULL, 0);
}

/* Bytes of the node's shared segment in memory: mincore() on this rank's
 * mappings of it (placing memory on a NUMA node splits the mapping)
 * reports the memfd's pages that exist, whoever touched them. Pages are
 * counted once each, by their offset in the memfd. -1 when not mapped. */
static long segment_resident(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return -1;
    char line[512];
    unsigned long lo, hi, off;
    unsigned char *seen = NULL; /* one byte per page of the memfd */
    size_t nseen = 0;
    long bytes = -1;
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, "ferry-shm") || sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) != 3)
            continue;
        size_t pages = (hi - lo) / 4096, first = off / 4096;
        if (first + pages > nseen) {
            unsigned char *n = realloc(seen, first + pages);
            if (!n) break;
            memset(n + nseen, 0, first + pages - nseen);
            seen = n;
            nseen = first + pages;
        }
        unsigned char *v = malloc(pages);
        if (v && mincore((void *)lo, hi - lo, v) == 0) {
            for (size_t i = 0; i < pages; i++) seen[first + i] |= v[i] & 1;
            bytes = 0;
        }
        free(v);
    }
    fclose(f);
    for (size_t i = 0; bytes >= 0 && i < nseen; i++) bytes += seen[i] * 4096;
    free(seen);
    return bytes;
}

/* The segment's resident bytes, taken by rank 0 while the others wait: the
 * pattern before has ended on every rank (its all_done), and no rank has
 * begun the next one. */
static long footprint(int rank, int nranks)
{
    long bytes = rank == 0 ? segment_resident() : 0;
    release_all(rank, nranks);
    return bytes;
}

static void run_foot(int rank, int nranks, void *sbuf, void *rbuf, ferry_request_t *reqs)
{
    run_ring(rank, nranks, 8, 1, sbuf, rbuf);
    long ring = footprint(rank, nranks);
    run_a2a(rank, nranks, 8, 1, sbuf, rbuf, reqs);
    long a2a = footprint(rank, nranks);
    if (rank == 0) printf("foot_ring %d %ld\nfoot_a2a %d %ld\n", nranks, ring, nranks, a2a);
    release_all(rank, nranks);
}

int main(int argc, char **argv)
{
    struct options o;
    int rank, nranks, help, rc;
    if ((rc = ferry_init(&argc, &argv)) != FERRY_OK) {
        fprintf(stderr, "ferry_bench: ferry_init: %s\n", ferry_strerror(rc));
        return 1;
    }
    rank = me = ferry_rank();
    nranks = ferry_size();
    if (!(wk = malloc((size_t)nranks * sizeof *wk))) die("malloc", 0, FERRY_ERR_NOMEM);
    for (int r = 0; r < nranks; r++) wk[r] = ferry_port_of_rank(r);
    if (parse_options(argc, argv, &o, &help) || nranks < 2) {
        if (rank == 0) {
            if (nranks < 2) fprintf(stderr, "ferry_bench: needs at least 2 ranks\n");
            usage(stderr);
        }
        ferry_finalize();
        return 2;
    }
    if (help) {
        if (rank == 0) usage(stdout);
        ferry_finalize();
        return 0;
    }
    size_t cap = o.max ? o.max : 1;
    unsigned char *sbuf = malloc(cap), *rbuf = malloc(cap);
    size_t nreq = 2 * (size_t)(o.window > nranks ? o.window : nranks);
    ferry_request_t *reqs = malloc(nreq * sizeof *reqs);
    if (!sbuf || !rbuf || !reqs) {
        fprintf(stderr, "ferry_bench: cannot allocate 2 x %zu bytes\n", cap);
        exit(1);
    }
    memset(sbuf, 1, cap);
    memset(rbuf, 0, cap);
    if ((rc = ferry_port_set_qlimit(wk[rank], FERRY_QLIMIT_MAX)))
        die("ferry_port_set_qlimit", 0, rc);
    if (o.metrics & (M_RING | M_A2A | M_FOOT)) pattern_ports_init(rank, nranks);
    if (rank == 0)
        printf("# ferry_bench, %d ranks: metric size value (lat us, bw/bibw MB/s, mr M/s, "
               "idle %%, ring/a2a ms, foot bytes)\n",
               nranks);
    if (o.metrics & M_FOOT) run_foot(rank, nranks, sbuf, rbuf, reqs);
    if ((o.metrics & M_IDLE) && rank <= 1) {
        double pct = run_idle(rank);
        if (rank == 0) printf("idle 0 %.2f\n", pct);
    }
    for (size_t s = 0; s <= o.max; s = s ? s * 2 : 1) {
        if (s < o.min || !(o.metrics & (M_P2P | M_RING | M_A2A))) continue;
        if (rank <= 1 && (o.metrics & M_P2P)) {
            if (o.metrics & M_LAT) {
                double us = run_lat(rank, s, lat_iters(s, &o), sbuf, rbuf);
                if (rank == 0) printf("lat %zu %.3f\n", s, us);
            }
            if (o.metrics & (M_BW | M_MR)) {
                double t = run_bw(rank, s, win_iters(s, &o), o.window, sbuf, rbuf, reqs);
                if (rank == 0 && (o.metrics & M_BW) && s)
                    printf("bw %zu %.2f\n", s, (double)s * o.window / t / 1e6);
                if (rank == 0 && (o.metrics & M_MR)) printf("mr %zu %.4f\n", s, o.window / t / 1e6);
            }
            if ((o.metrics & M_BIBW) && s) {
                double t = run_bibw(rank, s, win_iters(s, &o), o.window, sbuf, rbuf, reqs);
                if (rank == 0) printf("bibw %zu %.2f\n", s, 2.0 * (double)s * o.window / t / 1e6);
            }
            check_size(rank, s, sbuf, rbuf);
        }
        if (o.metrics & M_RING) {
            long rounds = pattern_rounds(s, 1, &o);
            double ms = run_ring(rank, nranks, s, rounds, sbuf, rbuf);
            if (rank == 0) printf("ring %zu %.2f\nring_rounds %zu %ld\n", s, ms, s, rounds);
        }
        if (o.metrics & M_A2A) {
            long rounds = pattern_rounds(s, nranks - 1, &o);
            double ms = run_a2a(rank, nranks, s, rounds, sbuf, rbuf, reqs);
            if (rank == 0) printf("a2a %zu %.2f\na2a_rounds %zu %ld\n", s, ms, s, rounds);
        }
        if (rank == 0) fflush(stdout);
    }
    free(sbuf);
    free(rbuf);
    free(reqs);
    /* Rank 0 releases the others once it is done. */
    if (rank == 0)
        for (int r = 2; r < nranks; r++) send_to(r, NULL, 0);
    else if (rank >= 2)
        recv_from(NULL, 0);
    if ((rc = ferry_finalize()) != FERRY_OK) {
        fprintf(stderr, "ferry_bench: ferry_finalize: %s\n", ferry_strerror(rc));
        return 1;
    }
    return 0;
}
