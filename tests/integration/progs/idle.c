/* A rank blocked in a receive must sleep, not spin: rank 1 waits ~1 s for
 * rank 0's message and reports the CPU time it used meanwhile. Also checks
 * that a receive with a timeout gives up on time, and reports whether the
 * rank has libfabric loaded (only a rank that uses the fabric should). */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ferry.h"

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int libfabric_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f)) found = strstr(line, "libfabric") != NULL;
    if (f) fclose(f);
    return found;
}

int main(int argc, char **argv)
{
    int rc = ferry_init(&argc, &argv);
    if (rc) {
        fprintf(stderr, "idle: ferry_init: %s\n", ferry_strerror(rc));
        return 1;
    }
    int failed = 0;
    char b[16];
    ferry_status_t st;
    if (ferry_rank() == 0) {
        usleep(1000000);
        rc = ferry_send(ferry_port_of_rank(1), "wake", 5);
        failed = rc != FERRY_OK;
    } else if (ferry_rank() == 1) {
        double c0 = cpu_seconds(), t0 = now();
        rc = ferry_recv(ferry_port_of_rank(1), b, sizeof b, &st, FERRY_FOREVER);
        double cpu = cpu_seconds() - c0, wall = now() - t0;
        printf("idle: blocked %.3f s, used %.3f s of CPU (%.1f%%)\n", wall, cpu,
               100 * cpu / wall);
        if (rc || st.size != 5 || st.source != 0) failed = 1;
        if (wall < 0.5 || cpu > 0.05 * wall) failed = 1;

        /* A receive that nothing answers ends at its timeout. */
        t0 = now();
        rc = ferry_recv(ferry_port_of_rank(1), b, sizeof b, &st, 300);
        wall = now() - t0;
        printf("idle: 300 ms timeout returned %s after %.3f s\n", ferry_strerror(rc), wall);
        if (rc != FERRY_ERR_TIMEOUT || wall < 0.29 || wall > 1.0) failed = 1;

        /* Only -1 means forever: another negative timeout is a mistake. */
        rc = ferry_recv(ferry_port_of_rank(1), b, sizeof b, &st, -5);
        printf("idle: timeout -5 returned %s\n", ferry_strerror(rc));
        if (rc != FERRY_ERR_INVALID) failed = 1;
        printf("idle: libfabric loaded: %s\n", libfabric_mapped() ? "yes" : "no");
    }
    rc = ferry_finalize();
    return failed || rc ? 1 : 0;
}
