/* The machine's latency floor: one cache line bounced between two cores.
 *
 * Two processes pinned to two cores share one line through an anonymous
 * shared mapping; each waits for the other's count and answers with the
 * next. Half a round trip is the least any on-node message can cost (the
 * line holding it must move from the writer's core to the reader's).
 *
 *   floor_cacheline [-c CPU0,CPU1] [-i ITER] [-r REPS]
 *
 * Prints "cacheline 64 NS" per repetition: one-way time in microseconds.
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

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        fprintf(stderr, "floor_cacheline: cannot pin to cpu %d: %s\n", cpu, strerror(errno));
}

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Side 0 writes odd counts and waits for even ones; side 1 the reverse. */
static void bounce(struct line *l, int side, uint64_t rounds)
{
    for (uint64_t i = 0; i < rounds; i++) {
        uint64_t want = 2 * i + (uint64_t)side;
        while (atomic_load_explicit(&l->v, memory_order_acquire) != want) relax();
        atomic_store_explicit(&l->v, want + 1, memory_order_release);
    }
}

int main(int argc, char **argv)
{
    int cpu[2] = {0, 1}, opt;
    long iters = 1000000, reps = 5;
    while ((opt = getopt(argc, argv, "c:i:r:h")) != -1) {
        if (opt == 'c' && sscanf(optarg, "%d,%d", &cpu[0], &cpu[1]) == 2) continue;
        if (opt == 'i' && (iters = atol(optarg)) > 0) continue;
        if (opt == 'r' && (reps = atol(optarg)) > 0) continue;
        fprintf(stderr, "usage: floor_cacheline [-c CPU0,CPU1] [-i ITER] [-r REPS]\n");
        return opt == 'h' ? 0 : 2;
    }
    struct line *l = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (l == MAP_FAILED) return 1;
    for (long r = 0; r < reps; r++) {
        atomic_store(&l->v, 0);
        pid_t pid = fork();
        if (pid < 0) return 1;
        if (pid == 0) {
            pin(cpu[1]);
            bounce(l, 1, (uint64_t)iters);
            _exit(0);
        }
        pin(cpu[0]);
        /* A short untimed warm-up: both sides running and the line hot. */
        bounce(l, 0, 1000);
        double t0 = now();
        for (uint64_t i = 1000; i < (uint64_t)iters; i++) {
            while (atomic_load_explicit(&l->v, memory_order_acquire) != 2 * i) relax();
            atomic_store_explicit(&l->v, 2 * i + 1, memory_order_release);
        }
        double t = now() - t0;
        waitpid(pid, NULL, 0);
        printf("cacheline 64 %.4f\n", t * 1e6 / (2.0 * (double)(iters - 1000)));
        fflush(stdout);
    }
    return 0;
}
