/* The machine's bandwidth floor: single-thread memcpy between two buffers.
 *
 * A single-copy transport moves each byte once, so one core's memcpy at the
 * same size is what the hardware allows it. Buffers are touched first, and
 * the copy repeats over the same pair, as a benchmark's buffers do.
 *
 *   floor_memcpy [-m [MIN:]MAX] [-r REPS] [-c CPU]
 *
 * Prints "memcpy SIZE MB/s" per size and repetition (10^6 bytes/s).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_setaffinity */
#endif
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    size_t min = 4096, max = (size_t)4 << 20;
    long reps = 5;
    int cpu = -1, opt;
    while ((opt = getopt(argc, argv, "m:r:c:h")) != -1) {
        if (opt == 'm') {
            char *colon = strchr(optarg, ':');
            if (colon) min = strtoull(optarg, NULL, 10);
            max = strtoull(colon ? colon + 1 : optarg, NULL, 10);
            if (min && max >= min && max <= ((size_t)1 << 30)) continue;
        }
        if (opt == 'r' && (reps = atol(optarg)) > 0) continue;
        if (opt == 'c' && (cpu = atoi(optarg)) >= 0) continue;
        fprintf(stderr, "usage: floor_memcpy [-m [MIN:]MAX] [-r REPS] [-c CPU]\n");
        return opt == 'h' ? 0 : 2;
    }
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0)
            fprintf(stderr, "floor_memcpy: cannot pin to cpu %d: %s\n", cpu, strerror(errno));
    }
    char *src = malloc(max), *dst = malloc(max);
    if (!src || !dst) return 1;
    memset(src, 1, max);
    memset(dst, 2, max);
    for (long r = 0; r < reps; r++) {
        for (size_t s = min; s <= max; s *= 2) {
            /* About 1 GiB per size, at least 20 copies. */
            long n = (long)(((size_t)1 << 30) / s);
            if (n < 20) n = 20;
            memcpy(dst, src, s);
            double t0 = now();
            for (long i = 0; i < n; i++) {
                memcpy(dst, src, s);
                /* Keep the compiler from merging the copies. */
                __asm__ volatile("" : : "r"(dst) : "memory");
            }
            double t = now() - t0;
            printf("memcpy %zu %.1f\n", s, (double)s * (double)n / t / 1e6);
        }
        fflush(stdout);
    }
    free(src);
    free(dst);
    return 0;
}
