/* The machine's floor for ranks sharing cores: one context switch.
 *
 * Two processes pinned to the same core hand the core to each other: each
 * waits for its turn in shared memory and yields the core meanwhile, so
 * every turn is one switch from one process to the other. With N ranks on
 * C cores, each rank of a ring or an all-to-all must run once per round:
 * a round costs at least N / C switches.
 *
 *   floor_switch [-c CPU] [-i ITER] [-r REPS]
 *
 * Prints "switch 0 US" per repetition: microseconds per switch.
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
        fprintf(stderr, "floor_switch: cannot pin to cpu %d: %s\n", cpu, strerror(errno));
}

/* Turn i of side s: wait for 2i+s, write 2i+s+1, yielding while waiting. */
static void turns(_Atomic uint64_t *v, int side, long from, long to)
{
    for (long i = from; i < to; i++) {
        uint64_t want = 2 * (uint64_t)i + (uint64_t)side;
        while (atomic_load_explicit(v, memory_order_acquire) != want) sched_yield();
        atomic_store_explicit(v, want + 1, memory_order_release);
    }
}

int main(int argc, char **argv)
{
    int cpu = 0, opt;
    long iters = 100000, reps = 5;
    while ((opt = getopt(argc, argv, "c:i:r:h")) != -1) {
        if (opt == 'c' && (cpu = atoi(optarg)) >= 0) continue;
        if (opt == 'i' && (iters = atol(optarg)) > 1000) continue;
        if (opt == 'r' && (reps = atol(optarg)) > 0) continue;
        fprintf(stderr, "usage: floor_switch [-c CPU] [-i ITER] [-r REPS]\n");
        return opt == 'h' ? 0 : 2;
    }
    _Atomic uint64_t *v =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (v == MAP_FAILED) return 1;
    pin(0, cpu);
    for (long r = 0; r < reps; r++) {
        atomic_store(v, 0);
        pid_t pid = fork();
        if (pid < 0) return 1;
        if (pid == 0) {
            turns(v, 1, 0, iters);
            _exit(0);
        }
        turns(v, 0, 0, 1000);
        double t0 = now();
        turns(v, 0, 1000, iters);
        double t = now() - t0;
        waitpid(pid, NULL, 0);
        printf("switch 0 %.3f\n", t * 1e6 / (2.0 * (double)(iters - 1000)));
        fflush(stdout);
    }
    return 0;
}
