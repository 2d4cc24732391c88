/* Small messages keep flowing while a huge one is copied: rank 0 sends SIZE
 * bytes (default 1 GiB) to rank 1, and meanwhile rank 2 ping-pongs small
 * messages with rank 1. Rank 1 counts the round trips it answers between
 * the start of the large transfer and its end; a copy that held the
 * receiver until the last byte would answer none.
 *
 *   ferryrun -n 3 bigflow [SIZE]
 *
 * Rank 1 takes the small messages on a port of their own ("bigflow.small",
 * found through the name service). Rank 0 posts its large send and then
 * sends a marker to that port: the marker travels behind the large
 * message's request on the same ring, so once rank 1 has seen it, the
 * large message was matched and its copy has begun. Rank 1 prints
 * "bigflow: N round trips during the transfer of SIZE bytes" and checks
 * every byte of the large message.
 */
#define _POSIX_C_SOURCE 200809L
#include <ferry.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_NAME "bigflow"
#include "check.h"

#define DEFAULT_SIZE ((size_t)1 << 30)

struct small {
    int32_t from;
    int32_t done; /* in rank 1's answers: the large message has landed */
};

static uint64_t word_at(size_t i)
{
    return (uint64_t)i * 0x9E3779B97F4A7C15ULL + 12345;
}

static int must(int rc, const char *what)
{
    if (rc != FERRY_OK) {
        fprintf(stderr, "bigflow[%d]: %s: %s\n", ferry_rank(), what, ferry_strerror(rc));
        exit(1);
    }
    return rc;
}

static void sender(size_t size, ferry_port_t small)
{
    uint64_t *buf = malloc(size);
    if (!buf) must(FERRY_ERR_NOMEM, "malloc");
    for (size_t i = 0; i < size / 8; i++) buf[i] = word_at(i);
    ferry_request_t req;
    must(ferry_isend(ferry_port_of_rank(1), buf, size, &req), "isend of the large message");
    struct small m = {0, 0};
    must(ferry_send(small, &m, sizeof m), "marker");
    must(ferry_wait(&req, NULL), "wait for the large send");
    free(buf);
}

static void pinger(ferry_port_t small)
{
    struct small m = {2, 0};
    ferry_status_t st;
    do {
        must(ferry_send(small, &m, sizeof m), "ping");
        must(ferry_recv(ferry_port_of_rank(2), &m, sizeof m, &st, 60000), "pong");
    } while (!m.done);
}

static void receiver(size_t size, ferry_port_t small)
{
    uint64_t *buf = malloc(size);
    if (!buf) must(FERRY_ERR_NOMEM, "malloc");
    ferry_request_t req;
    must(ferry_irecv(ferry_port_of_rank(1), buf, size, &req), "irecv of the large message");
    must(ferry_name_register("bigflow.small", small), "register");
    int started = 0, landed = 0, flag;
    long during = 0;
    ferry_status_t st;
    while (!(landed && started)) {
        struct small m;
        must(ferry_recv(small, &m, sizeof m, &st, 60000), "small receive");
        if (m.from == 0) {
            started = 1;
            continue;
        }
        if (!landed) {
            must(ferry_test(&req, &flag, &st), "test of the large receive");
            if (flag) {
                landed = 1;
                CHECK(st.size == size, "large message of %zu bytes, expected %zu", st.size, size);
            }
        }
        if (started && !landed) during++;
        struct small answer = {1, landed};
        must(ferry_send(ferry_port_of_rank(2), &answer, sizeof answer), "pong");
    }
    size_t bad = 0;
    for (size_t i = 0; i < size / 8; i++) bad += buf[i] != word_at(i);
    CHECK(bad == 0, "%zu of %zu words of the large message differ", bad, size / 8);
    printf("bigflow: %ld round trips during the transfer of %zu bytes\n", during, size);
    free(buf);
}

int main(int argc, char **argv)
{
    must(ferry_init(&argc, &argv), "init");
    size_t size = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : DEFAULT_SIZE;
    size -= size % 8;
    if (ferry_size() != 3 || size < 8) {
        fprintf(stderr, "usage: ferryrun -n 3 bigflow [SIZE]\n");
        return 2;
    }
    int rank = ferry_rank();
    ferry_port_t small = FERRY_PORT_NULL;
    if (rank == 1) {
        must(ferry_port_alloc(&small, FERRY_QLIMIT_MAX), "port");
        receiver(size, small);
    } else {
        must(ferry_name_lookup("bigflow.small", &small, 60000), "lookup");
        if (rank == 0)
            sender(size, small);
        else
            pinger(small);
    }
    must(ferry_finalize(), "finalize");
    return failures ? 1 : 0;
}
