/* The shm ring: framing, wrap-around, full ring, stale bytes, and a real
 * producer/consumer pair on two threads. */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "transports/shm/doorbell.h"
#include "transports/shm/ring.h"

#define CELLS 64

static void *ring_mem(uint32_t cells)
{
    void *m = NULL;
    CU_ASSERT_FATAL(posix_memalign(&m, 64, shm_ring_bytes(cells)) == 0);
    memset(m, 0, shm_ring_bytes(cells));
    shm_ring_init(m, cells, 3);
    return m;
}

static struct ferry_hdr hdr(uint64_t seq, uint64_t size)
{
    return (struct ferry_hdr){.src = 7, .kind = FRAME_EAGER, .seq = seq, .size = size};
}

/* Ring size by ranks on the node: full size up to 16 ranks, then halving
 * down to the floor, and always room for the largest eager frame. */
static void test_cells_for(void)
{
    CU_ASSERT_EQUAL(shm_ring_cells_for(2), SHM_RING_CELLS);
    CU_ASSERT_EQUAL(shm_ring_cells_for(16), SHM_RING_CELLS);
    CU_ASSERT_EQUAL(shm_ring_cells_for(17), SHM_RING_CELLS / 2);
    CU_ASSERT_EQUAL(shm_ring_cells_for(32), SHM_RING_CELLS / 2);
    CU_ASSERT_EQUAL(shm_ring_cells_for(33), SHM_RING_CELLS / 4);
    CU_ASSERT_EQUAL(shm_ring_cells_for(64), SHM_RING_CELLS_MIN);
    CU_ASSERT_EQUAL(shm_ring_cells_for(4096), SHM_RING_CELLS_MIN);
    for (int n = 1; n <= 4096; n *= 2)
        CU_ASSERT_TRUE(shm_ring_max_payload(shm_ring_cells_for(n)) >= 16384);
}

static void test_empty_and_one(void)
{
    void *m = ring_mem(CELLS);
    struct shm_ring_tx tx;
    struct shm_ring_rx rx;
    shm_ring_tx_attach(&tx, m);
    shm_ring_rx_attach(&rx, m);
    const struct ferry_hdr *h;
    const void *p;
    size_t len;
    CU_ASSERT_EQUAL(rx.sender, 3);
    CU_ASSERT_EQUAL(shm_ring_peek(&rx, &h, &p, &len), 0);
    struct ferry_hdr in = hdr(42, 5);
    CU_ASSERT_EQUAL(shm_ring_push(&tx, &in, "hello", 5), 0);
    CU_ASSERT_EQUAL_FATAL(shm_ring_peek(&rx, &h, &p, &len), 1);
    CU_ASSERT_EQUAL(h->seq, 42);
    CU_ASSERT_EQUAL(len, 5);
    CU_ASSERT_NSTRING_EQUAL(p, "hello", 5);
    shm_ring_pop(&rx);
    CU_ASSERT_EQUAL(shm_ring_peek(&rx, &h, &p, &len), 0);
    free(m);
}

/* Every header field arrives as sent (the push copies it field by field). */
static void test_header_fields(void)
{
    void *m = ring_mem(CELLS);
    struct shm_ring_tx tx;
    struct shm_ring_rx rx;
    shm_ring_tx_attach(&tx, m);
    shm_ring_rx_attach(&rx, m);
    struct ferry_hdr in = {.src = 0x01020304u,
                           .kind = 0x0506u,
                           .flags = 0x0708u,
                           .port = 0x090a0b0cu,
                           .gen = 0x0d0e0f10u,
                           .seq = 0x1112131415161718ull,
                           .size = 3,
                           .tag = 0x2122232425262728ull};
    const struct ferry_hdr *h;
    const void *p;
    size_t len;
    for (int round = 0; round < 2 * CELLS; round++) {
        in.seq++;
        CU_ASSERT_EQUAL_FATAL(shm_ring_push(&tx, &in, "abc", 3), 0);
        CU_ASSERT_EQUAL_FATAL(shm_ring_peek(&rx, &h, &p, &len), 1);
        CU_ASSERT_EQUAL(memcmp(h, &in, sizeof in), 0);
        CU_ASSERT_EQUAL(len, 3);
        shm_ring_pop(&rx);
    }
    free(m);
}

static void test_full_then_room(void)
{
    void *m = ring_mem(CELLS);
    struct shm_ring_tx tx;
    struct shm_ring_rx rx;
    shm_ring_tx_attach(&tx, m);
    shm_ring_rx_attach(&rx, m);
    char buf[200];
    memset(buf, 0xab, sizeof buf);
    int pushed = 0;
    struct ferry_hdr in = hdr(0, sizeof buf);
    while (shm_ring_push(&tx, &in, buf, sizeof buf) == 0) pushed++;
    /* 200 B + 48 B header = 4 cells; 64 cells hold 15 with one spare. */
    CU_ASSERT_EQUAL(pushed, 15);
    const struct ferry_hdr *h;
    const void *p;
    size_t len;
    CU_ASSERT_EQUAL_FATAL(shm_ring_peek(&rx, &h, &p, &len), 1);
    shm_ring_pop(&rx);
    CU_ASSERT_EQUAL(shm_ring_push(&tx, &in, buf, sizeof buf), 0);
    free(m);
}

/* Many laps with frame sizes that do not divide the ring, so frames wrap at
 * every position; payload bytes are chosen to look like valid seq words. */
static void test_wrap_and_stale_bytes(void)
{
    void *m = ring_mem(CELLS);
    struct shm_ring_tx tx;
    struct shm_ring_rx rx;
    shm_ring_tx_attach(&tx, m);
    shm_ring_rx_attach(&rx, m);
    uint32_t buf[512]; /* more than the largest payload of a 64-cell ring */
    for (uint64_t i = 0; i < 5000; i++) {
        size_t n = (i * 37) % (shm_ring_max_payload(CELLS) + 1);
        /* Where each payload cell starts, write the seq word a frame in that
         * cell would carry one lap later: only the producer's invalidation
         * of the next frame's cell keeps these from reading as frames. */
        uint64_t cells = (SHM_FRAME_HDR + n + SHM_CELL - 1) / SHM_CELL;
        uint64_t at = tx.pos, to_end = CELLS - (at & (CELLS - 1));
        if (cells > to_end) at += to_end;
        memset(buf, 0, sizeof buf);
        for (uint64_t j = 1; 16 * j - 12 < 512; j++) buf[16 * j - 12] = (uint32_t)(at + j + CELLS);
        struct ferry_hdr in = hdr(i, n);
        CU_ASSERT_EQUAL_FATAL(shm_ring_push(&tx, &in, buf, n), 0);
        const struct ferry_hdr *h;
        const void *p;
        size_t len;
        CU_ASSERT_EQUAL_FATAL(shm_ring_peek(&rx, &h, &p, &len), 1);
        CU_ASSERT_EQUAL_FATAL(h->seq, i);
        CU_ASSERT_EQUAL_FATAL(len, n);
        CU_ASSERT_FATAL(memcmp(p, buf, n) == 0);
        shm_ring_pop(&rx);
        /* Nothing more may appear: no stale frame. */
        CU_ASSERT_EQUAL_FATAL(shm_ring_peek(&rx, &h, &p, &len), 0);
    }
    free(m);
}

static void test_malformed_length(void)
{
    void *m = ring_mem(CELLS);
    struct shm_ring_tx tx;
    struct shm_ring_rx rx;
    shm_ring_tx_attach(&tx, m);
    shm_ring_rx_attach(&rx, m);
    struct ferry_hdr in = hdr(0, 4);
    CU_ASSERT_EQUAL(shm_ring_push(&tx, &in, "abcd", 4), 0);
    /* A hostile peer rewrites the length word of a published frame. */
    uint32_t *len_word = (uint32_t *)((char *)m + SHM_RING_HDR + 4);
    *len_word = 1u << 30;
    const struct ferry_hdr *h;
    const void *p;
    size_t len;
    CU_ASSERT_EQUAL(shm_ring_peek(&rx, &h, &p, &len), -1);
    free(m);
}

#define THREAD_FRAMES 200000
static void *producer(void *arg)
{
    struct shm_ring_tx tx;
    shm_ring_tx_attach(&tx, arg);
    unsigned char buf[1000];
    for (uint64_t i = 0; i < THREAD_FRAMES; i++) {
        size_t n = (i * 131) % sizeof buf;
        for (size_t k = 0; k < n; k++) buf[k] = (unsigned char)(i + k);
        struct ferry_hdr in = hdr(i, n);
        while (shm_ring_push(&tx, &in, buf, n) != 0) {
        }
    }
    return NULL;
}

static void test_two_threads(void)
{
    void *m = ring_mem(1024);
    struct shm_ring_rx rx;
    shm_ring_rx_attach(&rx, m);
    pthread_t t;
    pthread_create(&t, NULL, producer, m);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < THREAD_FRAMES; i++) {
        const struct ferry_hdr *h;
        const void *p;
        size_t len;
        int got;
        while ((got = shm_ring_peek(&rx, &h, &p, &len)) == 0) {
        }
        size_t n = (i * 131) % 1000;
        if (got != 1 || h->seq != i || len != n) {
            bad++;
            break;
        }
        const unsigned char *b = p;
        for (size_t k = 0; k < n; k++) bad += b[k] != (unsigned char)(i + k);
        shm_ring_pop(&rx);
    }
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(bad, 0);
    free(m);
}

/* The doorbell: two threads take turns, each publishing with a plain
 * store, ringing, then sleeping until the other answers. A ring that is
 * lost (a sleeper that misses the publication it raced with, or a sender
 * that misses the sleeper) shows as a sleep that runs to its timeout. */
#define BELL_ROUNDS  400
#define BELL_TIMEOUT 300 /* ms; a wait this long was not woken */

static struct shm_ctl bell[2] __attribute__((aligned(64)));
static _Atomic uint64_t turn[2];
static uint64_t want[2];
static _Atomic int bell_stalls;

static int ready0(void)
{
    return atomic_load_explicit(&turn[0], memory_order_relaxed) >= want[0];
}

static int ready1(void)
{
    return atomic_load_explicit(&turn[1], memory_order_relaxed) >= want[1];
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Side k waits for its turn number i on bell[k], then hands turn i to the
 * other side (k starts: it hands first). */
static void bell_side(int k)
{
    int (*ready)(void) = k ? ready1 : ready0;
    for (uint64_t i = 1; i <= BELL_ROUNDS && !atomic_load(&bell_stalls); i++) {
        if (k == 1 || i > 1) {
            want[k] = k ? i : i - 1;
            while (!ready()) {
                double t0 = mono_ms();
                doorbell_sleep(&bell[k], ready, BELL_TIMEOUT);
                if (!ready() && mono_ms() - t0 >= BELL_TIMEOUT - 10) {
                    atomic_fetch_add(&bell_stalls, 1);
                    return;
                }
            }
        }
        atomic_store_explicit(&turn[1 - k], i, memory_order_relaxed);
        doorbell_ring(&bell[1 - k]);
    }
}

static void *bell_thread(void *arg)
{
    (void)arg;
    bell_side(1);
    return NULL;
}

static void bell_run(int light)
{
    memset(bell, 0, sizeof bell);
    turn[0] = turn[1] = 0;
    atomic_store(&bell_stalls, 0);
    /* Without: the senders' own fences, as without membarrier. */
    doorbell_init(&bell[0], light);
    doorbell_init(&bell[1], light);
    pthread_t t;
    pthread_create(&t, NULL, bell_thread, NULL);
    bell_side(0);
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(atomic_load(&bell_stalls), 0);
    CU_ASSERT_EQUAL(atomic_load(&turn[1]), BELL_ROUNDS);
}

static void test_doorbell(void)
{
    bell_run(1);
    bell_run(0);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    CU_pSuite s = CU_add_suite("shm ring", NULL, NULL);
    CU_add_test(s, "ring size by ranks on the node", test_cells_for);
    CU_add_test(s, "empty, one frame", test_empty_and_one);
    CU_add_test(s, "every header field", test_header_fields);
    CU_add_test(s, "full, then room", test_full_then_room);
    CU_add_test(s, "wrap-around and stale bytes", test_wrap_and_stale_bytes);
    CU_add_test(s, "malformed length", test_malformed_length);
    CU_add_test(s, "producer and consumer threads", test_two_threads);
    CU_add_test(s, "doorbell: no ring lost", test_doorbell);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
