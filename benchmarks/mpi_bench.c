/* MPI point-to-point benchmark between ranks 0 and 1: latency, bandwidth,
 * bidirectional bandwidth and message rate, OSU-style.
 *
 * One plain-MPI source that builds unchanged with any mpicc (Open MPI,
 * MPICH, Ferry's), so benchmarks/compare can put the figures side by side.
 * ferry_bench.c is the same measurement through Ferry's native ports; keep
 * the two in step. Ranks other than 0 and 1 wait at the end.
 *
 *   mpirun -n N mpi_bench [-t METRICS] [-m [MIN:]MAX] [-W WINDOW] [-s SCALE]
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
 * Between ranks 0 and 1, not in the default set:
 *   halo  a 3-D grid's face in a halo exchange: SIZE bytes in blocks of
 *         BLOCK bytes (-b, default 1024) every 2 BLOCK, an MPI_Type_vector
 *         on both sides, ping-pong: half the round trip, microseconds
 *         (sizes from BLOCK)
 *
 * Output: lines "METRIC SIZE VALUE" (comment lines start with '#'). Every
 * size ends with an untimed exchange whose data is checked.
 */
#include <mpi.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEFAULT ((size_t)4 << 20)
#define MAX_LIMIT   ((size_t)1 << 30)
#define TAG         11
#define TAG_ACK     12
#define TAG_CHECK   13

enum {
    M_LAT = 1,
    M_BW = 2,
    M_BIBW = 4,
    M_MR = 8,
    M_IDLE = 16,
    M_RING = 32,
    M_A2A = 64,
    M_HALO = 128
};
#define M_P2P (M_LAT | M_BW | M_BIBW | M_MR)

struct options {
    unsigned metrics;
    size_t min, max;
    int window;
    int block;    /* halo: bytes per block */
    double scale; /* iteration counts are multiplied by this */
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mpi_bench [-t METRICS] [-m [MIN:]MAX] [-W WINDOW] [-s SCALE] [-b BLOCK] [-h]\n"
            "  -t LIST     comma-separated, from lat bw bibw mr idle ring a2a halo\n"
            "              (default lat,bw,bibw,mr)\n"
            "  -m MIN:MAX  sizes: 0 if MIN is 0, then powers of two in [MIN, MAX]\n"
            "              (default 0:4194304)\n"
            "  -W WINDOW   messages in flight for bw, bibw, mr (default 64)\n"
            "  -s SCALE    multiply the iteration counts (default 1)\n"
            "  -b BLOCK    halo: bytes per block of the face (default 1024)\n");
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
                 {"idle", M_IDLE}, {"ring", M_RING}, {"a2a", M_A2A},   {"halo", M_HALO}};
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
    *o = (struct options){M_P2P, 0, MAX_DEFAULT, 64, 1024, 1.0};
    *help = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            *help = 1;
            return 0;
        }
        if (i + 1 >= argc || strlen(a) != 2 || !strchr("tmWsb", a[1]) || a[0] != '-') return -1;
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
        case 'b':
            o->block = (int)strtol(v, &end, 10);
            if (*end || o->block < 1 || o->block > (1 << 24)) return -1;
            break;
        case 's':
            o->scale = strtod(v, &end);
            if (*end || !(o->scale > 0) || o->scale > 1000) return -1;
            break;
        }
    }
    return 0;
}

/* Iterations for a size: about the same time per size, bounded. */
static long scaled(double base, const struct options *o)
{
    long n = (long)(base * o->scale);
    return n < 2 ? 2 : n;
}

static long lat_iters(size_t size, const struct options *o)
{
    return scaled(size <= 8192 ? 20000 : size <= ((size_t)1 << 20) ? 2000 : 200, o);
}

/* Windows per size for the streaming metrics: ~1 GiB moved, 2000 at most. */
static long win_iters(size_t size, const struct options *o)
{
    double bytes = (double)(size ? size : 1) * o->window;
    double n = (double)(1u << 30) / bytes;
    return scaled(n > 2000 ? 2000 : n < 10 ? 10 : n, o);
}

static unsigned char pattern_byte(size_t size, int from, size_t i)
{
    return (unsigned char)(i * 131 + (i >> 8) * 7 + size * 29 + (size_t)from * 101 + 1);
}

/* One checked exchange: rank 0 sends, rank 1 checks and answers, rank 0
 * checks the answer. */
static void check_size(int rank, size_t size, unsigned char *sbuf, unsigned char *rbuf)
{
    int peer = 1 - rank;
    for (size_t i = 0; i < size; i++) sbuf[i] = pattern_byte(size, rank, i);
    memset(rbuf, 0xa5, size);
    MPI_Status st;
    int got;
    if (rank == 0) MPI_Send(sbuf, (int)size, MPI_BYTE, peer, TAG_CHECK, MPI_COMM_WORLD);
    MPI_Recv(rbuf, (int)size, MPI_BYTE, peer, TAG_CHECK, MPI_COMM_WORLD, &st);
    MPI_Get_count(&st, MPI_BYTE, &got);
    if (rank == 1) MPI_Send(sbuf, (int)size, MPI_BYTE, peer, TAG_CHECK, MPI_COMM_WORLD);
    for (size_t i = 0; i < size; i++) {
        if ((size_t)got != size || rbuf[i] != pattern_byte(size, peer, i)) {
            fprintf(stderr, "mpi_bench: rank %d: data mismatch at size %zu, byte %zu\n", rank, size,
                    i);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
}

static double run_lat(int rank, size_t size, long iters, void *sbuf, void *rbuf)
{
    int peer = 1 - rank;
    long warm = iters / 10 + 1;
    double t0 = 0;
    for (long i = 0; i < warm + iters; i++) {
        if (i == warm) t0 = MPI_Wtime();
        if (rank == 0) {
            MPI_Send(sbuf, (int)size, MPI_BYTE, peer, TAG, MPI_COMM_WORLD);
            MPI_Recv(rbuf, (int)size, MPI_BYTE, peer, TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(rbuf, (int)size, MPI_BYTE, peer, TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(sbuf, (int)size, MPI_BYTE, peer, TAG, MPI_COMM_WORLD);
        }
    }
    return (MPI_Wtime() - t0) * 1e6 / (2.0 * (double)iters);
}

/* A halo exchange's face, size bytes in blocks of `block` every 2 blocks
 * of sbuf and rbuf (2 size bytes each), ping-pong: half the round trip in
 * microseconds. The last face each rank received is checked, gaps
 * included. */
static double run_halo(int rank, size_t size, int block, long iters, unsigned char *sbuf,
                       unsigned char *rbuf)
{
    int peer = 1 - rank;
    MPI_Datatype face;
    MPI_Type_vector((int)(size / (size_t)block), block, 2 * block, MPI_BYTE, &face);
    MPI_Type_commit(&face);
    for (size_t i = 0; i < 2 * size; i++) sbuf[i] = pattern_byte(size, rank, i);
    memset(rbuf, 0, 2 * size);
    long warm = iters / 10 + 1;
    double t0 = 0;
    for (long i = 0; i < warm + iters; i++) {
        if (i == warm) t0 = MPI_Wtime();
        if (rank == 0) {
            MPI_Send(sbuf, 1, face, peer, TAG, MPI_COMM_WORLD);
            MPI_Recv(rbuf, 1, face, peer, TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(rbuf, 1, face, peer, TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            MPI_Send(sbuf, 1, face, peer, TAG, MPI_COMM_WORLD);
        }
    }
    double us = (MPI_Wtime() - t0) * 1e6 / (2.0 * (double)iters);
    for (size_t i = 0; i < 2 * size; i++) {
        unsigned char want = (i / (size_t)block) % 2 ? 0 : pattern_byte(size, peer, i);
        if (rbuf[i] != want) {
            fprintf(stderr, "mpi_bench: rank %d: halo mismatch at size %zu, byte %zu\n", rank, size,
                    i);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
    MPI_Type_free(&face);
    return us;
}

/* Seconds per window, rank 0 sending and rank 1 receiving. */
static double run_bw(int rank, size_t size, long iters, int window, void *sbuf, void *rbuf,
                     MPI_Request *reqs)
{
    long warm = iters / 10 + 1;
    double t0 = 0;
    for (long i = 0; i < warm + iters; i++) {
        if (i == warm) t0 = MPI_Wtime();
        if (rank == 0) {
            for (int w = 0; w < window; w++)
                MPI_Isend(sbuf, (int)size, MPI_BYTE, 1, TAG, MPI_COMM_WORLD, &reqs[w]);
            MPI_Waitall(window, reqs, MPI_STATUSES_IGNORE);
            MPI_Recv(NULL, 0, MPI_BYTE, 1, TAG_ACK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else {
            for (int w = 0; w < window; w++)
                MPI_Irecv(rbuf, (int)size, MPI_BYTE, 0, TAG, MPI_COMM_WORLD, &reqs[w]);
            MPI_Waitall(window, reqs, MPI_STATUSES_IGNORE);
            MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_ACK, MPI_COMM_WORLD);
        }
    }
    return (MPI_Wtime() - t0) / (double)iters;
}

static double run_bibw(int rank, size_t size, long iters, int window, void *sbuf, void *rbuf,
                       MPI_Request *reqs)
{
    int peer = 1 - rank;
    long warm = iters / 10 + 1;
    double t0 = 0;
    for (long i = 0; i < warm + iters; i++) {
        if (i == warm) t0 = MPI_Wtime();
        for (int w = 0; w < window; w++)
            MPI_Irecv(rbuf, (int)size, MPI_BYTE, peer, TAG, MPI_COMM_WORLD, &reqs[w]);
        for (int w = 0; w < window; w++)
            MPI_Isend(sbuf, (int)size, MPI_BYTE, peer, TAG, MPI_COMM_WORLD, &reqs[window + w]);
        MPI_Waitall(2 * window, reqs, MPI_STATUSES_IGNORE);
    }
    return (MPI_Wtime() - t0) / (double)iters;
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
        MPI_Send(&pid, 1, MPI_INT, 0, TAG, MPI_COMM_WORLD);
        MPI_Recv(NULL, 0, MPI_BYTE, 0, TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
        MPI_Recv(&pid, 1, MPI_INT, 1, TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        /* Let rank 1 reach its receive and settle first. */
        struct timespec settle = {0, 100000000L}, second = {1, 0};
        nanosleep(&settle, NULL);
        long t0 = cpu_ticks(pid);
        double w0 = MPI_Wtime();
        nanosleep(&second, NULL);
        long t1 = cpu_ticks(pid);
        double w1 = MPI_Wtime();
        if (t0 >= 0 && t1 >= 0)
            pct = 100.0 * (double)(t1 - t0) / (double)sysconf(_SC_CLK_TCK) / (w1 - w0);
        MPI_Send(NULL, 0, MPI_BYTE, 1, TAG, MPI_COMM_WORLD);
    }
    return pct;
}

/* Every rank tells rank 0 it is done; returns rank 0's time then. */
static double all_done(int rank, int nranks)
{
    if (rank) {
        MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_ACK, MPI_COMM_WORLD);
        return 0;
    }
    for (int r = 1; r < nranks; r++)
        MPI_Recv(NULL, 0, MPI_BYTE, MPI_ANY_SOURCE, TAG_ACK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return MPI_Wtime();
}

/* Rounds of: receive from the left, send to the right. Milliseconds on
 * rank 0 from a common start to every rank done. */
static double run_ring(int rank, int nranks, size_t size, long rounds, void *sbuf, void *rbuf)
{
    int left = (rank + nranks - 1) % nranks, right = (rank + 1) % nranks;
    MPI_Request reqs[2];
    double t0 = 0;
    for (long i = -1; i < rounds; i++) {
        if (i == 0) t0 = MPI_Wtime(); /* after a first round: everyone is up */
        MPI_Irecv(rbuf, (int)size, MPI_BYTE, left, TAG, MPI_COMM_WORLD, &reqs[0]);
        MPI_Isend(sbuf, (int)size, MPI_BYTE, right, TAG, MPI_COMM_WORLD, &reqs[1]);
        MPI_Waitall(2, reqs, MPI_STATUSES_IGNORE);
    }
    return (all_done(rank, nranks) - t0) * 1e3;
}

/* Rounds of: every rank sends to and receives from every other. */
static double run_a2a(int rank, int nranks, size_t size, long rounds, char *sbuf, char *rbuf,
                      MPI_Request *reqs)
{
    double t0 = 0;
    for (long i = -1; i < rounds; i++) {
        if (i == 0) t0 = MPI_Wtime();
        int n = 0;
        for (int k = 1; k < nranks; k++)
            MPI_Irecv(rbuf, (int)size, MPI_BYTE, (rank + nranks - k) % nranks, TAG, MPI_COMM_WORLD,
                      &reqs[n++]);
        for (int k = 1; k < nranks; k++)
            MPI_Isend(sbuf, (int)size, MPI_BYTE, (rank + k) % nranks, TAG, MPI_COMM_WORLD,
                      &reqs[n++]);
        MPI_Waitall(n, reqs, MPI_STATUSES_IGNORE);
    }
    return (all_done(rank, nranks) - t0) * 1e3;
}

/* Rounds for the patterns among all ranks: ~64 MiB per rank, 20..2000. */
static long pattern_rounds(size_t size, int peers, const struct options *o)
{
    double n = (double)(64u << 20) / ((double)(size ? size : 1) * peers);
    return scaled(n > 2000 ? 2000 : n < 20 ? 20 : n, o);
}

int main(int argc, char **argv)
{
    struct options o;
    int rank, nranks, help;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    if (parse_options(argc, argv, &o, &help) || nranks < 2) {
        if (rank == 0) {
            if (nranks < 2) fprintf(stderr, "mpi_bench: needs at least 2 ranks\n");
            usage(stderr);
        }
        MPI_Finalize();
        return 2;
    }
    if (help) {
        if (rank == 0) usage(stdout);
        MPI_Finalize();
        return 0;
    }
    /* Twice the largest size: a halo face spans that. */
    size_t cap = o.max ? ((o.metrics & M_HALO) ? 2 : 1) * o.max : 1;
    unsigned char *sbuf = malloc(cap), *rbuf = malloc(cap);
    size_t nreq = 2 * (size_t)(o.window > nranks ? o.window : nranks);
    MPI_Request *reqs = malloc(nreq * sizeof *reqs);
    if (!sbuf || !rbuf || !reqs) {
        fprintf(stderr, "mpi_bench: cannot allocate 2 x %zu bytes\n", cap);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    memset(sbuf, 1, cap);
    memset(rbuf, 0, cap);
    if (rank == 0)
        printf("# mpi_bench, %d ranks: metric size value (lat us, bw/bibw MB/s, mr M/s, "
               "idle %%, ring/a2a ms)\n",
               nranks);
    if ((o.metrics & M_IDLE) && rank <= 1) {
        double pct = run_idle(rank);
        if (rank == 0) printf("idle 0 %.2f\n", pct);
    }
    for (size_t s = 0; s <= o.max; s = s ? s * 2 : 1) {
        if (s < o.min) continue;
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
        if (rank <= 1 && (o.metrics & M_HALO) && s >= (size_t)o.block) {
            double us = run_halo(rank, s, o.block, lat_iters(s, &o), sbuf, rbuf);
            if (rank == 0) printf("halo %zu %.3f\n", s, us);
        }
        if (o.metrics & M_RING) {
            long rounds = pattern_rounds(s, 1, &o);
            double ms = run_ring(rank, nranks, s, rounds, sbuf, rbuf);
            if (rank == 0) printf("ring %zu %.2f\nring_rounds %zu %ld\n", s, ms, s, rounds);
        }
        if (o.metrics & M_A2A) {
            long rounds = pattern_rounds(s, nranks - 1, &o);
            double ms = run_a2a(rank, nranks, s, rounds, (char *)sbuf, (char *)rbuf, reqs);
            if (rank == 0) printf("a2a %zu %.2f\na2a_rounds %zu %ld\n", s, ms, s, rounds);
        }
        if (rank == 0) fflush(stdout);
    }
    free(sbuf);
    free(rbuf);
    free(reqs);
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return 0;
}
