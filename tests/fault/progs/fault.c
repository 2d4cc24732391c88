/* Jobs for the fault tests.
 *
 *   fault stream MB    rank 0 sends rank 1 messages of MB MiB, rank 1
 *                      receives them, over and over until one of them is
 *                      killed: nearly all the time goes into the transfers
 *                      (rendezvous: a single copy on a node, fi_read over
 *                      the fabric), so a kill lands in the middle of one.
 *                      Each prints "fault: rank R streaming" after the
 *                      first message; the survivor prints how its call
 *                      failed and exits 0 (with --no-abort-on-exit).
 *   fault heap         2 ranks, FERRY_SHM_HEAP_MB small: rank 0 fills the
 *                      shared heap with 1 MiB blocks until ferry_mem_alloc
 *                      says FERRY_ERR_NOMEM; meanwhile and after, both
 *                      ranks still exchange messages (small, large, with a
 *                      copied region, which fails cleanly while the heap is
 *                      full), and once rank 0 frees, everything works again.
 */
#include <ferry.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_NAME "fault"
#include "../../integration/progs/check.h"

static void stream(size_t mb)
{
    int me = ferry_rank(), peer = 1 - me;
    size_t len = mb << 20;
    char *buf = malloc(len);
    CHECK(buf != NULL, "malloc %zu MiB", mb);
    if (!buf) return;
    memset(buf, me ? 0 : 0x5a, len); /* every page present: the copy is what takes time */
    ferry_port_t to = ferry_port_of_rank(peer), mine = ferry_port_of_rank(me);
    for (long n = 0;; n++) {
        ferry_status_t st;
        int rc =
            me == 0 ? ferry_send(to, buf, len) : ferry_recv(mine, buf, len, &st, FERRY_FOREVER);
        if (rc != FERRY_OK) {
            printf("fault: rank %d: %s of message %ld failed: %s\n", me, me ? "receive" : "send", n,
                   ferry_strerror(rc));
            return;
        }
        if (me == 1)
            CHECK(st.size == len && buf[0] == 0x5a && buf[len - 1] == 0x5a, "message %ld", n);
        if (n == 0) {
            printf("fault: rank %d streaming\n", me);
            fflush(stdout);
        }
    }
}

static int send_int(int to, int v)
{
    return ferry_send(ferry_port_of_rank(to), &v, sizeof v);
}

static int recv_int(void)
{
    int v = -1;
    ferry_status_t st;
    int rc = ferry_recv(ferry_port_of_rank(ferry_rank()), &v, sizeof v, &st, 20000);
    return rc == FERRY_OK ? v : rc;
}

/* A message carrying a copied (not heap) region: the copy needs heap room. */
static int send_region(int to, void *p, size_t len)
{
    ferry_region_t r = {p, len};
    int v = 7;
    ferry_message_t m = {.dest = ferry_port_of_rank(to),
                         .reply = FERRY_PORT_NULL,
                         .body = &v,
                         .len = sizeof v,
                         .regions = &r,
                         .nregions = 1};
    return ferry_msg_send(&m, FERRY_SEND_BLOCK, 0, FERRY_PORT_NULL);
}

static int recv_region(void)
{
    int v = -1;
    ferry_region_t r = {0};
    ferry_message_t m = {.body = &v, .len = sizeof v, .regions = &r, .nregions = 1};
    int rc = ferry_msg_recv(ferry_port_of_rank(ferry_rank()), &m, 20000);
    if (rc != FERRY_OK) return rc;
    int ok = m.nregions == 1 && r.len == 4096 && ((unsigned char *)r.addr)[4095] == 0xab;
    CHECK(ok && ferry_mem_free(r.addr) == FERRY_OK, "region received: %zu regions", m.nregions);
    return v;
}

static void heap(void)
{
    enum { MB = 1 << 20, MAXB = 4096 };
    static void *blocks[MAXB];
    static char big[4 << 20];
    char page[4096];
    memset(page, 0xab, sizeof page);
    int me = ferry_rank(), nb = 0, rc;
    if (me == 0) {
        void *p;
        CHECK(ferry_mem_alloc((size_t)1 << 40, &p) == FERRY_ERR_NOMEM, "1 TiB from the heap");
        /* 1 MiB blocks while they fit, then ever smaller ones: every
         * byte of the heap taken. */
        size_t sz[MAXB];
        int mib = 0;
        for (size_t len = MB; len >= 1; len /= 2) {
            while (nb < MAXB && (rc = ferry_mem_alloc(len, &blocks[nb])) == FERRY_OK) {
                memset(blocks[nb], nb, len); /* the pages are there: no SIGBUS */
                sz[nb++] = len;
                mib += len == MB;
            }
            CHECK(rc == FERRY_ERR_NOMEM && nb < MAXB, "filling: %d blocks, then %s", nb,
                  ferry_strerror(rc));
        }
        CHECK(ferry_mem_alloc(1, &p) == FERRY_ERR_NOMEM, "a byte more");
        printf("fault: heap full after %d MiB\n", mib);
        CHECK(send_int(1, 1) == FERRY_OK, "tell full");
        /* Rank 1 finds it full too, and messages still flow. */
        CHECK(recv_int() == 2, "answer");
        CHECK(ferry_send(ferry_port_of_rank(1), big, sizeof big) == FERRY_OK, "large send");
        CHECK(recv_int() == 3, "after large");
        for (int i = 0; i < nb; i++) {
            unsigned char *b = blocks[i];
            CHECK(b[0] == (unsigned char)i && b[sz[i] - 1] == (unsigned char)i, "block %d kept", i);
            CHECK(ferry_mem_free(blocks[i]) == FERRY_OK, "free %d", i);
        }
        CHECK(send_int(1, 4) == FERRY_OK, "tell freed");
        CHECK(recv_region() == 7, "region after the heap was freed");
        CHECK(recv_int() == 5, "end");
    } else if (me == 1) {
        CHECK(recv_int() == 1, "full");
        void *p;
        CHECK(ferry_mem_alloc(MB, &p) == FERRY_ERR_NOMEM, "rank 1 allocates from a full heap");
        rc = send_region(0, page, sizeof page);
        CHECK(rc == FERRY_ERR_NOMEM, "a copied region into a full heap: %s", ferry_strerror(rc));
        CHECK(send_int(0, 2) == FERRY_OK, "answer");
        ferry_status_t st;
        rc = ferry_recv(ferry_port_of_rank(1), big, sizeof big, &st, 20000);
        CHECK(rc == FERRY_OK && st.size == sizeof big, "large receive: %s", ferry_strerror(rc));
        CHECK(send_int(0, 3) == FERRY_OK, "after large");
        CHECK(recv_int() == 4, "freed");
        CHECK(ferry_mem_alloc(MB, &p) == FERRY_OK && ferry_mem_free(p) == FERRY_OK,
              "allocating again");
        rc = send_region(0, page, sizeof page);
        CHECK(rc == FERRY_OK, "a copied region again: %s", ferry_strerror(rc));
        CHECK(send_int(0, 5) == FERRY_OK, "end");
    }
}

int main(int argc, char **argv)
{
    if (ferry_init(&argc, &argv) != FERRY_OK) return 2;
    if (argc == 3 && strcmp(argv[1], "stream") == 0 && ferry_size() == 2)
        stream(strtoul(argv[2], NULL, 10));
    else if (argc == 2 && strcmp(argv[1], "heap") == 0 && ferry_size() == 2)
        heap();
    else {
        fprintf(stderr, "usage: fault stream MB | fault heap (2 ranks)\n");
        ferry_finalize();
        return 2;
    }
    if (failures) return 1;
    printf("fault: rank %d ok\n", ferry_rank());
    ferry_finalize();
    return 0;
}
