/* MPI pingpong: one-way latency and bandwidth between ranks 0 and 1.
 *
 * The same measurement as ferry_pingpong, written in plain MPI so that one
 * source builds unchanged with any mpicc (Open MPI, MPICH, Ferry) and the
 * figures can be put side by side. Ranks other than 0 and 1 wait at the end.
 *
 *   mpirun -n 2 mpi_pingpong [-i ITER] [-w WARMUP] [-m [MIN:]MAX] [-h]
 *
 * Output is OSU-style: latency is half the round trip in microseconds,
 * bandwidth is size / one-way time in MB/s (10^6 bytes per second).
 */
#include <mpi.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEFAULT ((size_t)4 << 20)
/* Guard against a typo allocating the machine away. */
#define MAX_LIMIT ((size_t)1 << 30)
#define TAG       7

struct options {
    long iters;  /* 0: scaled by size */
    long warmup; /* -1: scaled by size */
    size_t min, max;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: mpi_pingpong [-i ITER] [-w WARMUP] [-m [MIN:]MAX] [-h]\n"
               "  -i ITER      timed iterations per size (default 10000 up to 8 KiB,\n"
               "               1000 up to 1 MiB, 100 beyond)\n"
               "  -w WARMUP    untimed iterations first (default a tenth of ITER)\n"
               "  -m MIN:MAX   sizes in bytes: 0 if MIN is 0, then powers of two in\n"
               "               [MIN, MAX] (default 0:4194304)\n"
               "  -h           show this help\n");
}

static int parse_count(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > 100000000) return -1;
    *out = v;
    return 0;
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

/* Returns 0, or -1 after printing a one-line reason to err (if not NULL). */
static int parse_options(int argc, char **argv, struct options *o, int *help, FILE *err)
{
    o->iters = 0;
    o->warmup = -1;
    o->min = 0;
    o->max = MAX_DEFAULT;
    *help = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            *help = 1;
            return 0;
        }
        if (strcmp(a, "-i") && strcmp(a, "-w") && strcmp(a, "-m")) {
            if (err) fprintf(err, "mpi_pingpong: unknown option '%s'\n", a);
            return -1;
        }
        if (i + 1 >= argc) {
            if (err) fprintf(err, "mpi_pingpong: option %s needs a value\n", a);
            return -1;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "-i")) {
            if (parse_count(v, &o->iters) || o->iters == 0) {
                if (err) fprintf(err, "mpi_pingpong: -i wants a positive count, not '%s'\n", v);
                return -1;
            }
        } else if (!strcmp(a, "-w")) {
            if (parse_count(v, &o->warmup)) {
                if (err) fprintf(err, "mpi_pingpong: -w wants a count, not '%s'\n", v);
                return -1;
            }
        } else {
            const char *colon = strchr(v, ':');
            int bad = colon ? parse_size(v, colon, &o->min) ||
                                  parse_size(colon + 1, colon + 1 + strlen(colon + 1), &o->max)
                            : parse_size(v, v + strlen(v), &o->max);
            if (bad || o->min > o->max) {
                if (err)
                    fprintf(err,
                            "mpi_pingpong: -m wants MIN:MAX or MAX with MIN <= MAX <= %zu, "
                            "not '%s'\n",
                            MAX_LIMIT, v);
                return -1;
            }
        }
    }
    return 0;
}

static long iters_for(const struct options *o, size_t size)
{
    if (o->iters) return o->iters;
    return size <= 8192 ? 10000 : size <= ((size_t)1 << 20) ? 1000 : 100;
}

static long warmup_for(const struct options *o, size_t size)
{
    if (o->warmup >= 0) return o->warmup;
    long w = iters_for(o, size) / 10;
    return w ? w : 1;
}

/* A byte pattern that differs per size and per sending rank, so a stale
 * buffer or the wrong direction's data cannot pass the check. */
static unsigned char pattern_byte(size_t size, int from, size_t i)
{
    return (unsigned char)(i * 131 + (i >> 8) * 7 + size * 29 + (size_t)from * 101 + 1);
}

static void fill(unsigned char *buf, size_t size, int from)
{
    for (size_t i = 0; i < size; i++) buf[i] = pattern_byte(size, from, i);
}

static void check(const unsigned char *buf, size_t size, int from, long iter)
{
    for (size_t i = 0; i < size; i++) {
        if (buf[i] != pattern_byte(size, from, i)) {
            fprintf(stderr,
                    "mpi_pingpong: data mismatch: size %zu, iteration %ld, byte %zu: got 0x%02x, "
                    "expected 0x%02x\n",
                    size, iter, i, buf[i], pattern_byte(size, from, i));
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
    }
}

static void recv_checked(void *buf, size_t size, int peer, long iter)
{
    MPI_Status st;
    int count;
    MPI_Recv(buf, (int)size, MPI_BYTE, peer, TAG, MPI_COMM_WORLD, &st);
    MPI_Get_count(&st, MPI_BYTE, &count);
    if (count != (int)size || st.MPI_SOURCE != peer) {
        fprintf(stderr,
                "mpi_pingpong: size %zu, iteration %ld: received %d bytes from rank %d, expected "
                "%zu from rank %d\n",
                size, iter, count, st.MPI_SOURCE, size, peer);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

/* One size: warmup + timed iterations + one final untimed iteration whose
 * data is checked (the buffer is poisoned first, so a receive that wrote
 * nothing fails). The first iteration is checked too. Returns the one-way
 * time in seconds on rank 0. */
static double run_size(int rank, size_t size, long warmup, long iters, unsigned char *sbuf,
                       unsigned char *rbuf)
{
    int peer = 1 - rank;
    long total = warmup + iters + 1;
    double t0 = 0, t1 = 0;

    fill(sbuf, size, rank);
    for (long i = 0; i < total; i++) {
        int verify = i == 0 || i == total - 1;
        if (i == total - 1) t1 = MPI_Wtime();
        if (verify) memset(rbuf, 0xa5, size);
        if (i == warmup) t0 = MPI_Wtime();
        if (rank == 0) {
            MPI_Send(sbuf, (int)size, MPI_BYTE, peer, TAG, MPI_COMM_WORLD);
            recv_checked(rbuf, size, peer, i);
        } else {
            recv_checked(rbuf, size, peer, i);
            MPI_Send(sbuf, (int)size, MPI_BYTE, peer, TAG, MPI_COMM_WORLD);
        }
        if (verify) check(rbuf, size, peer, i);
    }
    return (t1 - t0) / (2.0 * (double)iters);
}

int main(int argc, char **argv)
{
    int rank, size, help;
    struct options o;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    /* Every rank parses (they must agree); only rank 0 speaks. */
    if (parse_options(argc, argv, &o, &help, rank == 0 ? stderr : NULL)) {
        if (rank == 0) usage(stderr);
        MPI_Finalize();
        return 2;
    }
    if (help) {
        if (rank == 0) usage(stdout);
        MPI_Finalize();
        return 0;
    }
    if (size < 2) {
        if (rank == 0) fprintf(stderr, "mpi_pingpong: needs at least 2 ranks\n");
        MPI_Finalize();
        return 2;
    }

    if (rank <= 1) {
        unsigned char *sbuf = malloc(o.max ? o.max : 1), *rbuf = malloc(o.max ? o.max : 1);
        if (!sbuf || !rbuf) {
            fprintf(stderr, "mpi_pingpong: cannot allocate 2 x %zu bytes\n", o.max);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        if (rank == 0) {
            printf("# MPI pingpong\n# %-10s%18s%20s\n", "Size", "Latency (us)", "Bandwidth (MB/s)");
            fflush(stdout);
        }
        for (size_t s = 0; s <= o.max; s = s ? s * 2 : 1) {
            if (s < o.min) continue;
            double t = run_size(rank, s, warmup_for(&o, s), iters_for(&o, s), sbuf, rbuf);
            if (rank == 0) {
                printf("%-12zu%18.2f%20.2f\n", s, t * 1e6, t > 0 ? (double)s / t / 1e6 : 0.0);
                fflush(stdout);
            }
        }
        free(sbuf);
        free(rbuf);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_Finalize();
    return 0;
}
