/* A peer that vanishes mid-job: rank 1 leaves at once (_exit, no
 * finalize, so the launcher does not end the job) after its first message,
 * while rank 0 keeps sending to it, small and large messages in turn. Rank
 * 0 must get an error from a send within seconds, never hang, and prints
 *
 *   peerloss: send N to rank 1 failed after S s: ERROR
 *
 * then leaves the same way (its peer will never join a fence). Other ranks
 * leave at once. */
#define _POSIX_C_SOURCE 200809L
#include <ferry.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LARGE        (1 << 20)
#define GIVE_UP_SECS 30

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int rc = ferry_init(&argc, &argv);
    if (rc) {
        fprintf(stderr, "peerloss: ferry_init: %s\n", ferry_strerror(rc));
        return 1;
    }
    char *buf = calloc(1, LARGE);
    if (!buf) return 1;
    if (ferry_rank() == 1) {
        ferry_status_t st;
        rc = ferry_recv(ferry_port_of_rank(1), buf, LARGE, &st, FERRY_FOREVER);
        _exit(rc ? 1 : 0);
    }
    if (ferry_rank() != 0) _exit(0);
    rc = ferry_send(ferry_port_of_rank(1), "hello", 6);
    if (rc) {
        fprintf(stderr, "peerloss: first send failed: %s\n", ferry_strerror(rc));
        return 1;
    }
    double t0 = now();
    for (long n = 1; now() - t0 < GIVE_UP_SECS; n++) {
        rc = ferry_send(ferry_port_of_rank(1), buf, n % 2 ? 64 : LARGE);
        if (rc) {
            printf("peerloss: send %ld to rank 1 failed after %.1f s: %s\n", n, now() - t0,
                   ferry_strerror(rc));
            fflush(stdout);
            _exit(0);
        }
        if (n % 100 == 0) usleep(1000);
    }
    printf("peerloss: sends to the dead rank 1 kept succeeding for %d s\n", GIVE_UP_SECS);
    return 1;
}
