/* Streaming rate into a bounded port against an unbounded one: rank 0
 * sends small messages as fast as it can, rank 1 receives them. With
 * credits a bounded port should cost almost nothing over an unbounded one.
 * Usage: ferryrun -n 2 ferry_stream [-n MESSAGES] [-s SIZE] [-r REPS] [-q LIMIT] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ferry.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long count = 200000;
    int size = 8, reps = 5, opt;
    unsigned limit = FERRY_QLIMIT_DEFAULT;
    while ((opt = getopt(argc, argv, "n:s:r:q:h")) != -1) {
        if (opt == 'n')
            count = atol(optarg);
        else if (opt == 's')
            size = atoi(optarg);
        else if (opt == 'r')
            reps = atoi(optarg);
        else if (opt == 'q')
            limit = (unsigned)atoi(optarg);
        else {
            fprintf(stderr, "usage: ferry_stream [-n MESSAGES] [-s SIZE] [-r REPS] [-q LIMIT]\n");
            return opt == 'h' ? 0 : 2;
        }
    }
    if (count < 1 || size < 0 || size > 4096 || reps < 1 || reps > 64 || limit < 1 ||
        limit > FERRY_QLIMIT_MAX) {
        fprintf(stderr, "ferry_stream: bad option\nusage: ferry_stream [-n MESSAGES] [-s SIZE] "
                        "[-r REPS] [-q LIMIT]\n");
        return 2;
    }
    if (ferry_init(&argc, &argv) || ferry_size() < 2) {
        fprintf(stderr, "ferry_stream: needs 2 ranks\n");
        return 1;
    }
    int me = ferry_rank();
    static char buf[4096];
    unsigned limits[2] = {limit, FERRY_QLIMIT_MAX};
    double rate[2][64];
    for (int k = 0; k < 2; k++) {
        ferry_port_t p = FERRY_PORT_NULL;
        if (me == 1) {
            ferry_port_alloc(&p, limits[k]);
            ferry_message_t m = {.dest = ferry_port_of_rank(0), .ports = &p, .nports = 1};
            ferry_msg_send(&m, FERRY_SEND_BLOCK, 0, FERRY_PORT_NULL);
        } else if (me == 0) {
            ferry_message_t m = {.ports = &p, .nports = 1};
            ferry_msg_recv(ferry_port_of_rank(0), &m, FERRY_FOREVER);
        }
        for (int r = 0; r < reps; r++) {
            ferry_status_t st;
            if (me == 0) {
                double t0 = now_s();
                for (long i = 0; i < count; i++) ferry_send(p, buf, (size_t)size);
                /* The receiver's answer ends the clock: everything arrived. */
                ferry_recv(ferry_port_of_rank(0), buf, sizeof buf, &st, FERRY_FOREVER);
                rate[k][r] = (double)count / (now_s() - t0);
            } else if (me == 1) {
                for (long i = 0; i < count; i++) ferry_recv(p, buf, sizeof buf, &st, FERRY_FOREVER);
                ferry_send(ferry_port_of_rank(0), buf, 0);
            }
        }
        if (me == 1) ferry_port_destroy(p);
    }
    if (me == 0) {
        printf("# Ferry streaming, %d-byte messages, %ld per run, %d runs: median [min-max]\n",
               size, count, reps);
        for (int k = 0; k < 2; k++) {
            qsort(rate[k], (size_t)reps, sizeof rate[k][0], cmp);
            printf("limit %-6u %10.0f msg/s [%.0f-%.0f]\n", limits[k], rate[k][reps / 2],
                   rate[k][0], rate[k][reps - 1]);
        }
        printf("bounded/unbounded %.3f\n", rate[0][reps / 2] / rate[1][reps / 2]);
    }
    ferry_finalize();
    return 0;
}
