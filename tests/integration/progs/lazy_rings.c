/* Rings between ranks of a node exist only for pairs that talk, however
 * many ranks there are, and many senders may create theirs to one rank at
 * the same moment.
 *
 *   ferryrun -n N lazy_rings     (N >= 4; the test uses many)
 *
 * Phase 1: every rank exchanges a few messages with its two neighbours in
 * a ring. Rank 0 then reads the node's shared segment (its directory of
 * rings, see transports/shm/layout.h) and checks that each rank has at
 * most two incoming rings, each from a neighbour. Phase 2: every rank
 * sends to rank 0 at once; rank 0 checks it got all messages and that it
 * now has exactly one ring from every other rank. The phases are kept
 * apart with names (the name service does not use the rings).
 *
 * Prints "lazy_rings: N ranks, R rings after the ring exchange, A after the
 * fan-in" on rank 0.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ferry.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transports/shm/layout.h"
#include "transports/shm/ring.h"

#define TEST_NAME "lazy_rings"
#include "check.h"

#define ROUNDS 4

static int must(int rc, const char *what)
{
    if (rc != FERRY_OK) {
        fprintf(stderr, "lazy_rings[%d]: %s: %s\n", ferry_rank(), what, ferry_strerror(rc));
        exit(1);
    }
    return rc;
}

/* The node's segment, as mapped in this process. */
static void *segment(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    unsigned long lo = 0, hi;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "ferry-shm") && sscanf(line, "%lx-%lx", &lo, &hi) == 2) break;
    if (f) fclose(f);
    return (void *)lo;
}

/* Senders of the rings into local rank r, in out[] (at most n); returns how
 * many. */
static int incoming(void *base, int r, int n, int *out)
{
    struct shm_ctl *c = shm_ctl_of(base, r);
    uint32_t nin = atomic_load(&c->nin);
    int k = 0;
    for (uint32_t i = 0; i < nin && k < n; i++) {
        uint64_t off = atomic_load(&shm_dir_row(base, r)[i]);
        if (off) out[k++] = (int)((struct shm_ring_shared *)((char *)base + off))->sender;
    }
    return k;
}

/* Every rank registers NAME.rank; rank 0 waits until all have. */
static void reached(const char *name, int rank, int n)
{
    char buf[64];
    ferry_port_t any = ferry_port_of_rank(rank), p;
    snprintf(buf, sizeof buf, "lazy_rings.%s.%d", name, rank);
    must(ferry_name_register(buf, any), "register");
    if (rank) return;
    for (int r = 1; r < n; r++) {
        snprintf(buf, sizeof buf, "lazy_rings.%s.%d", name, r);
        must(ferry_name_lookup(buf, &p, 60000), "lookup");
    }
}

/* Rank 0 has looked: the others wait for its name. */
static void released(const char *name, int rank)
{
    char buf[64];
    ferry_port_t p;
    snprintf(buf, sizeof buf, "lazy_rings.%s.go", name);
    if (rank == 0)
        must(ferry_name_register(buf, ferry_port_of_rank(0)), "register");
    else
        must(ferry_name_lookup(buf, &p, 60000), "lookup");
}

int main(int argc, char **argv)
{
    must(ferry_init(&argc, &argv), "init");
    int rank = ferry_rank(), n = ferry_size();
    if (n < 4 || ferry_local_size() != n) {
        fprintf(stderr, "usage: ferryrun -n N lazy_rings, N >= 4 ranks on one node\n");
        return 2;
    }
    ferry_status_t st;
    int right = (rank + 1) % n, left = (rank + n - 1) % n;
    for (int i = 0; i < ROUNDS; i++) {
        int v = rank * 1000 + i;
        must(ferry_send(ferry_port_of_rank(right), &v, sizeof v), "send right");
        must(ferry_recv(ferry_port_of_rank(rank), &v, sizeof v, &st, 60000), "receive");
        CHECK(st.source == left && v == left * 1000 + i, "got %d from %d", v, st.source);
    }
    reached("ring", rank, n);
    void *base = segment();
    int *from = calloc((size_t)n, sizeof *from);
    int rings = 0;
    if (rank == 0) {
        CHECK(base != NULL, "the shared segment is not mapped");
        for (int r = 0; base && r < n; r++) {
            int k = incoming(base, r, n, from);
            rings += k;
            CHECK(k <= 2, "rank %d has %d incoming rings", r, k);
            for (int i = 0; i < k; i++)
                CHECK(from[i] == (r + 1) % n || from[i] == (r + n - 1) % n,
                      "rank %d has a ring from rank %d, not a neighbour", r, from[i]);
        }
    }
    released("ring", rank);

    /* Phase 2: all at once to rank 0. */
    if (rank) {
        must(ferry_send(ferry_port_of_rank(0), &rank, sizeof rank), "send to rank 0");
    } else {
        char *seen = calloc((size_t)n, 1);
        for (int i = 1; i < n; i++) {
            int v = -1;
            must(ferry_recv(ferry_port_of_rank(0), &v, sizeof v, &st, 60000), "fan-in receive");
            CHECK(v == st.source && v > 0 && v < n && !seen[v], "fan-in message %d from %d", v,
                  st.source);
            if (v > 0 && v < n) seen[v] = 1;
        }
        free(seen);
    }
    reached("fanin", rank, n);
    if (rank == 0 && base) {
        int k = incoming(base, 0, n, from);
        CHECK(k == n - 1, "rank 0 has %d incoming rings after the fan-in, expected %d", k, n - 1);
        int all = 0;
        for (int r = 0; r < n; r++) all += incoming(base, r, n, from);
        printf("lazy_rings: %d ranks, %d rings after the ring exchange, %d after the fan-in\n", n,
               rings, all);
    }
    released("fanin", rank);
    free(from);
    must(ferry_finalize(), "finalize");
    return failures ? 1 : 0;
}
