/* The machine's latency floor: cache lines bounced between two cores.
 *
 * Two processes pinned to two cores share memory through an anonymous
 * shared mapping; each waits for the other's count and answers with the
 * next. Half a round trip is the least an on-node message can cost (a line
 * holding it must move from the writer's core to the reader's).
 *
 *   one line   both sides count in the same line (the classic ping-pong);
 *   two lines  each side writes a line of its own and reads the other's,
 *              as two buffers, one per direction, are written and read.
 *
 *   floor_cacheline [-c CPU0,CPU1] [-i ITER] [-r REPS]
 *
 * Prints "cacheline 64 US" (one line) and "cacheline2 64 US" (two lines) per
 * repetition: one-way time in microseconds.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_setaffinity */
#endif
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARMUP 1000

struct line {
    _Alignas(64) _Atomic uint64_t v;
    char pad[64 - sizeof(uint64_t)];
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void pin(pid_t pid, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(pid, sizeof set, &set) != 0)
        fprintf(stderr, "floor_cacheline: cannot pin to cpu %d: %s\n", cpu, strerror(errno));
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Round i: side 0 writes 2i+1 to `out` once it reads 2i in `in`; side 1
 * writes 2i+2 once it reads 2i+1. With one line, in == out. */
static void bounce(_Atomic uint64_t *in, _Atomic uint64_t *out, int side, uint64_t from,
                   uint64_t to)
{
    for (uint64_t i = from; i < to; i++) {
        uint64_t want = 2 * i + (uint64_t)side;
        while (atomic_load_explicit(in, memory_order_acquire) != want) relax();
        atomic_store_explicit(out, want + 1, memory_order_release);
    }
}

/* One-way time in microseconds. */
static double measure(struct line *l, int nlines, const int cpu[2], long iters)
{
    _Atomic uint64_t *a = &l[0].v, *b = &l[nlines - 1].v;
    atomic_store(a, 0);
    atomic_store(b, 0);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        pin(0, cpu[1]);
        /* Side 1 reads what side 0 writes (a) and writes b. */
        bounce(a, b, 1, 0, (uint64_t)iters);
        _exit(0);
    }
    /* Also from here: under a real-time policy a child still on our core
     * could not run to move itself while we spin. */
    pin(pid, cpu[1]);
    pin(0, cpu[0]);
    bounce(b, a, 0, 0, WARMUP);
    double t0 = now();
    bounce(b, a, 0, WARMUP, (uint64_t)iters);
    double t = now() - t0;
    waitpid(pid, NULL, 0);
    return t * 1e6 / (2.0 * (double)(iters - WARMUP));
}

int main(int argc, char **argv)
{
    int cpu[2] = {0, 1}, opt;
    long iters = 1000000, reps = 5;
    while ((opt = getopt(argc, argv, "c:i:r:h")) != -1) {
        if (opt == 'c' && sscanf(optarg, "%d,%d", &cpu[0], &cpu[1]) == 2) continue;
        if (opt == 'i' && (iters = atol(optarg)) > WARMUP) continue;
        if (opt == 'r' && (reps = atol(optarg)) > 0) continue;
        fprintf(stderr, "usage: floor_cacheline [-c CPU0,CPU1] [-i ITER] [-r REPS]\n");
        return opt == 'h' ? 0 : 2;
    }
    struct line *l = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (l == MAP_FAILED) return 1;
    for (long r = 0; r < reps; r++) {
        printf("cacheline 64 %.4f\n", measure(l, 1, cpu, iters));
        printf("cacheline2 64 %.4f\n", measure(l, 2, cpu, iters));
        fflush(stdout);
    }
    return 0;
}
