/* RPC round trip on one node: rank 1 serves with ferry_serve, rank 0 calls
 * ferry_rpc with a null and a 4 KiB request; the same run also measures a
 * plain ping-pong so the RPC's cost reads against it.
 * Usage: ferryrun -n 2 ferry_rpc [-i ITER] [-r REPS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ferry.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int echo(const ferry_message_t *req, ferry_message_t *rep, void *arg)
{
    rep->body = req->body;
    rep->len = req->len;
    return req->id == 1 ? FERRY_SERVE_STOP : 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int iters = 20000, reps = 5, opt;
    while ((opt = getopt(argc, argv, "i:r:h")) != -1) {
        if (opt == 'i')
            iters = atoi(optarg);
        else if (opt == 'r')
            reps = atoi(optarg);
        else {
            fprintf(stderr, "usage: ferry_rpc [-i ITER] [-r REPS]\n");
            return opt == 'h' ? 0 : 2;
        }
    }
    if (iters < 1 || reps < 1) {
        fprintf(stderr,
                "ferry_rpc: -i and -r must be positive\nusage: ferry_rpc [-i ITER] [-r REPS]\n");
        return 2;
    }
    int rc = ferry_init(&argc, &argv);
    if (rc || ferry_size() < 2) {
        fprintf(stderr, "ferry_rpc: needs 2 ranks (%s)\n", ferry_strerror(rc));
        return 1;
    }
    int me = ferry_rank();
    static char buf[4096], back[4096];
    if (me == 1) {
        ferry_port_t svc;
        ferry_port_alloc(&svc, 0);
        ferry_message_t m = {.dest = ferry_port_of_rank(0), .ports = &svc, .nports = 1};
        ferry_msg_send(&m, FERRY_SEND_BLOCK, 0, FERRY_PORT_NULL);
        /* Ping-pong first, then serve until rank 0 says stop. */
        ferry_status_t st;
        for (int r = 0; r < reps; r++)
            for (int i = 0; i < iters + 100; i++) {
                ferry_recv(ferry_port_of_rank(1), buf, sizeof buf, &st, FERRY_FOREVER);
                ferry_send(ferry_port_of_rank(0), buf, 0);
            }
        rc = ferry_serve(svc, echo, NULL);
    } else if (me == 0) {
        ferry_port_t svc;
        ferry_message_t m = {.ports = &svc, .nports = 1};
        ferry_msg_recv(ferry_port_of_rank(0), &m, FERRY_FOREVER);
        double pp[64], nul[64], k4[64];
        ferry_status_t st;
        for (int r = 0; r < reps && r < 64; r++) {
            double t0 = 0;
            for (int i = 0; i < iters + 100; i++) {
                if (i == 100) t0 = now_us();
                ferry_send(ferry_port_of_rank(1), buf, 0);
                ferry_recv(ferry_port_of_rank(0), back, sizeof back, &st, FERRY_FOREVER);
            }
            pp[r] = (now_us() - t0) / iters / 2;
        }
        for (int r = 0; r < reps && r < 64; r++)
            for (int pass = 0; pass < 2; pass++) {
                size_t len = pass ? sizeof buf : 0;
                double t0 = 0;
                for (int i = 0; i < iters + 100; i++) {
                    if (i == 100) t0 = now_us();
                    ferry_message_t q = {.body = buf, .len = len, .id = 0};
                    ferry_message_t a = {.body = back, .len = sizeof back};
                    if ((rc = ferry_rpc(svc, &q, &a, FERRY_FOREVER)) || a.len != len) {
                        fprintf(stderr, "ferry_rpc: %s (reply %zu bytes)\n", ferry_strerror(rc),
                                a.len);
                        return 1;
                    }
                }
                (pass ? k4 : nul)[r] = (now_us() - t0) / iters;
            }
        ferry_message_t q = {.body = buf, .len = 0, .id = 1};
        ferry_message_t a = {.body = back, .len = sizeof back};
        ferry_rpc(svc, &q, &a, FERRY_FOREVER);
        int n = reps < 64 ? reps : 64;
        qsort(pp, (size_t)n, sizeof *pp, cmp);
        qsort(nul, (size_t)n, sizeof *nul, cmp);
        qsort(k4, (size_t)n, sizeof *k4, cmp);
        printf("# Ferry RPC, %d iterations x %d repetitions: median [min-max] (us)\n", iters, reps);
        printf("%-28s %8.2f [%.2f-%.2f]\n", "ping-pong one-way, 0 B", pp[n / 2], pp[0], pp[n - 1]);
        printf("%-28s %8.2f [%.2f-%.2f]\n", "null RPC round trip", nul[n / 2], nul[0], nul[n - 1]);
        printf("%-28s %8.2f [%.2f-%.2f]\n", "4 KiB RPC round trip", k4[n / 2], k4[0], k4[n - 1]);
    }
    ferry_finalize();
    return rc ? 1 : 0;
}
