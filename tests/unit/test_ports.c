/* Port logic in one process (a job of one, talking to itself through the
 * self transport): names and generations, limits and send modes, status,
 * sets, messages with port names, dead ports, out-of-line regions. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "include/ferry.h"

static int send_int(ferry_port_t to, int v, enum ferry_send_mode mode, int timeout,
                    ferry_port_t notify)
{
    ferry_message_t m = {.dest = to, .body = &v, .len = sizeof v};
    return ferry_msg_send(&m, mode, timeout, notify);
}

static int recv_int(ferry_port_t on, int *v)
{
    ferry_status_t st;
    return ferry_recv(on, v, sizeof *v, &st, 0);
}

static void test_names_and_generations(void)
{
    ferry_port_t a, b;
    CU_ASSERT_EQUAL(ferry_port_alloc(&a, 0), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_port_destroy(a), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_port_destroy(a), FERRY_ERR_DEAD_PORT);
    CU_ASSERT_EQUAL(ferry_port_alloc(&b, 0), FERRY_OK);
    /* The slot comes back with a new generation: the old name is dead. */
    CU_ASSERT(b.index == a.index && b.gen != a.gen);
    CU_ASSERT_EQUAL(send_int(a, 1, FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL), FERRY_ERR_DEAD_PORT);
    int v;
    CU_ASSERT_EQUAL(recv_int(b, &v), FERRY_ERR_TIMEOUT);
    CU_ASSERT_EQUAL(ferry_port_destroy(ferry_port_of_rank(0)), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_port_alloc(&a, FERRY_QLIMIT_MAX + 1), FERRY_ERR_INVALID);
    ferry_port_t foreign = {1, 0, 1};
    CU_ASSERT_EQUAL(recv_int(foreign, &v), FERRY_ERR_NOT_RECEIVER);
    CU_ASSERT_EQUAL(ferry_port_destroy(b), FERRY_OK);
}

static void test_limits_and_modes(void)
{
    ferry_port_t p, note;
    CU_ASSERT_EQUAL_FATAL(ferry_port_alloc(&p, 2), FERRY_OK);
    CU_ASSERT_EQUAL_FATAL(ferry_port_alloc(&note, 0), FERRY_OK);
    CU_ASSERT_EQUAL(send_int(p, 1, FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL), FERRY_OK);
    CU_ASSERT_EQUAL(send_int(p, 2, FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL), FERRY_OK);
    CU_ASSERT_EQUAL(send_int(p, 3, FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL), FERRY_ERR_WOULDBLOCK);
    CU_ASSERT_EQUAL(send_int(p, 4, FERRY_SEND_TIMEOUT, 30, FERRY_PORT_NULL), FERRY_ERR_TIMEOUT);
    CU_ASSERT_EQUAL(send_int(p, 5, FERRY_SEND_NOTIFY, 0, note), FERRY_OK);
    CU_ASSERT_EQUAL(send_int(p, 6, FERRY_SEND_NOTIFY, 0, note), FERRY_ERR_NOTIFY_PENDING);
    ferry_port_status_t st;
    CU_ASSERT_EQUAL(ferry_port_status(p, &st), FERRY_OK);
    CU_ASSERT(st.queued == 3 && st.qlimit == 2 && st.seqno == 0 && !st.in_set && !st.is_set);
    int v, expect[] = {1, 2, 5};
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(recv_int(p, &v), FERRY_OK);
        CU_ASSERT_EQUAL(v, expect[i]);
    }
    CU_ASSERT_EQUAL(recv_int(p, &v), FERRY_ERR_TIMEOUT); /* 3, 4 and 6 never arrive */
    ferry_port_t about;
    ferry_message_t n = {.body = &about, .len = sizeof about};
    CU_ASSERT_EQUAL(ferry_msg_recv(note, &n, 0), FERRY_OK);
    CU_ASSERT(n.id == FERRY_NOTIFY_SEND_POSSIBLE && ferry_port_equal(about, p));
    /* Limit 0: only a receive completes a send, so with nobody receiving
     * it times out and is withdrawn. */
    CU_ASSERT_EQUAL(ferry_port_set_qlimit(p, 0), FERRY_OK);
    CU_ASSERT_EQUAL(send_int(p, 7, FERRY_SEND_TIMEOUT, 30, FERRY_PORT_NULL), FERRY_ERR_TIMEOUT);
    CU_ASSERT_EQUAL(recv_int(p, &v), FERRY_ERR_TIMEOUT);
    CU_ASSERT_EQUAL(ferry_port_status(p, &st), FERRY_OK);
    CU_ASSERT(st.queued == 0 && st.qlimit == 0 && st.seqno == 3);
    CU_ASSERT_EQUAL(ferry_port_set_qlimit(p, 5), FERRY_OK);
    CU_ASSERT_EQUAL(send_int(p, 8, FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL), FERRY_OK);
    CU_ASSERT(recv_int(p, &v) == FERRY_OK && v == 8);
    CU_ASSERT_EQUAL(ferry_port_destroy(p), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_port_destroy(note), FERRY_OK);
}

static void test_sets(void)
{
    ferry_port_t set, p[3];
    CU_ASSERT_EQUAL_FATAL(ferry_portset_alloc(&set), FERRY_OK);
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL_FATAL(ferry_port_alloc(&p[i], 16), FERRY_OK);
        CU_ASSERT_EQUAL(ferry_portset_add(set, p[i]), FERRY_OK);
        for (int k = 0; k < 4; k++)
            send_int(p[i], i * 10 + k, FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL);
    }
    CU_ASSERT_EQUAL(ferry_portset_add(set, p[0]), FERRY_ERR_BUSY);
    CU_ASSERT_EQUAL(ferry_portset_add(set, set), FERRY_ERR_INVALID);
    /* Members in turn, each in its own order. */
    for (int k = 0; k < 12; k++) {
        int v;
        ferry_status_t st;
        CU_ASSERT_EQUAL(ferry_recv(set, &v, sizeof v, &st, 0), FERRY_OK);
        CU_ASSERT(ferry_port_equal(st.port, p[k % 3]) && v == (k % 3) * 10 + k / 3);
    }
    CU_ASSERT_EQUAL(ferry_portset_remove(set, p[1]), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_portset_remove(set, p[1]), FERRY_ERR_NOT_FOUND);
    ferry_port_status_t st;
    CU_ASSERT(ferry_port_status(p[0], &st) == FERRY_OK && st.in_set &&
              ferry_port_equal(st.set, set));
    CU_ASSERT_EQUAL(ferry_port_destroy(set), FERRY_OK);
    CU_ASSERT(ferry_port_status(p[0], &st) == FERRY_OK && !st.in_set);
    for (int i = 0; i < 3; i++) CU_ASSERT_EQUAL(ferry_port_destroy(p[i]), FERRY_OK);
}

static void test_message_extras(void)
{
    ferry_port_t p, names[3] = {{0, 0, 1}, {0, 7, 9}, {0, 1, 1}};
    CU_ASSERT_EQUAL_FATAL(ferry_port_alloc(&p, 0), FERRY_OK);
    ferry_message_t m = {.dest = p,
                         .reply = names[1],
                         .id = 77,
                         .body = "hello",
                         .len = 6,
                         .ports = names,
                         .nports = 3};
    CU_ASSERT_EQUAL(ferry_msg_send(&m, FERRY_SEND_BLOCK, 0, FERRY_PORT_NULL), FERRY_OK);
    char buf[16];
    ferry_port_t got[3];
    ferry_message_t r = {.body = buf, .len = 3, .ports = got, .nports = 3};
    CU_ASSERT_EQUAL(ferry_msg_recv(p, &r, 0), FERRY_ERR_TRUNCATE);
    CU_ASSERT_EQUAL(r.len, 6);
    r = (ferry_message_t){.body = buf, .len = sizeof buf, .ports = got, .nports = 2};
    CU_ASSERT_EQUAL(ferry_msg_recv(p, &r, 0), FERRY_ERR_TRUNCATE); /* names do not fit */
    r = (ferry_message_t){.body = buf, .len = sizeof buf, .ports = got, .nports = 3};
    CU_ASSERT_EQUAL(ferry_msg_recv(p, &r, 0), FERRY_OK);
    CU_ASSERT(r.len == 6 && strcmp(buf, "hello") == 0 && r.id == 77 && r.nports == 3 &&
              ferry_port_equal(r.reply, names[1]) && ferry_port_equal(got[2], names[2]) &&
              r.source == 0 && ferry_port_equal(r.dest, p));
    CU_ASSERT_EQUAL(ferry_port_destroy(p), FERRY_OK);
}

static void test_dead_name_notice(void)
{
    ferry_port_t p, note;
    CU_ASSERT_EQUAL_FATAL(ferry_port_alloc(&p, 0), FERRY_OK);
    CU_ASSERT_EQUAL_FATAL(ferry_port_alloc(&note, 0), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_port_notify_dead(p, note), FERRY_OK);
    ferry_request_t r;
    int v;
    CU_ASSERT_EQUAL(ferry_irecv(p, &v, sizeof v, &r), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_port_destroy(p), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_wait(&r, NULL), FERRY_ERR_DEAD_PORT);
    ferry_port_t about;
    ferry_message_t n = {.body = &about, .len = sizeof about};
    CU_ASSERT_EQUAL(ferry_msg_recv(note, &n, 0), FERRY_OK);
    CU_ASSERT(n.id == FERRY_NOTIFY_DEAD_NAME && ferry_port_equal(about, p));
    CU_ASSERT_EQUAL(ferry_port_destroy(note), FERRY_OK);
}

static void test_regions(void)
{
    void *a;
    CU_ASSERT_EQUAL_FATAL(ferry_mem_alloc(1000, &a), FERRY_OK);
    memset(a, 0x3c, 1000);
    ferry_port_t p;
    CU_ASSERT_EQUAL_FATAL(ferry_port_alloc(&p, 0), FERRY_OK);
    ferry_region_t out[2] = {{a, 1000}, {"plain", 6}}, in[2];
    ferry_message_t m = {.dest = p, .regions = out, .nregions = 2};
    CU_ASSERT_EQUAL(ferry_msg_send(&m, FERRY_SEND_BLOCK, 0, FERRY_PORT_NULL), FERRY_OK);
    ferry_message_t r = {.regions = in, .nregions = 2};
    CU_ASSERT_EQUAL(ferry_msg_recv(p, &r, 0), FERRY_OK);
    /* The heap block moved as it is; the plain buffer was copied. */
    CU_ASSERT(r.nregions == 2 && in[0].addr == a && in[0].len == 1000);
    CU_ASSERT(in[1].addr != out[1].addr && strcmp(in[1].addr, "plain") == 0);
    CU_ASSERT_EQUAL(ferry_mem_free(in[0].addr), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_mem_free(in[1].addr), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_mem_free(in[1].addr), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(ferry_port_destroy(p), FERRY_OK);
}

/* A port made before the table of ports grows keeps working after: its
 * empty queues must not point into the table's old memory. */
static void test_table_growth(void)
{
    ferry_port_t a, more[40];
    CU_ASSERT_EQUAL_FATAL(ferry_port_alloc(&a, 0), FERRY_OK);
    for (int i = 0; i < 40; i++) CU_ASSERT_EQUAL_FATAL(ferry_port_alloc(&more[i], 0), FERRY_OK);
    ferry_request_t r;
    int v = 0, done = 0;
    CU_ASSERT_EQUAL_FATAL(ferry_irecv(a, &v, sizeof v, &r), FERRY_OK);
    CU_ASSERT_EQUAL(send_int(a, 7, FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL), FERRY_OK);
    for (int i = 0; i < 1000 && !done; i++) CU_ASSERT_EQUAL(ferry_test(&r, &done, NULL), FERRY_OK);
    CU_ASSERT(done && v == 7);
    CU_ASSERT_EQUAL(send_int(more[39], 8, FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL), FERRY_OK);
    CU_ASSERT(recv_int(more[39], &v) == FERRY_OK && v == 8);
    for (int i = 0; i < 40; i++) CU_ASSERT_EQUAL(ferry_port_destroy(more[i]), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_port_destroy(a), FERRY_OK);
}

/* Small sends taken at once complete on the spot (one shared completed
 * request); waits and tests on them, and sends that must queue, still
 * behave as requests, and the messages arrive in order. */
static void test_isend_done_at_once(void)
{
    ferry_port_t p, small;
    CU_ASSERT_EQUAL_FATAL(ferry_port_alloc(&p, FERRY_QLIMIT_MAX), FERRY_OK);
    CU_ASSERT_EQUAL_FATAL(ferry_port_alloc(&small, 1), FERRY_OK);
    enum { N = 200 };
    ferry_request_t r[N];
    int vals[N];
    for (int i = 0; i < N; i++) {
        vals[i] = i;
        CU_ASSERT_EQUAL_FATAL(ferry_isend(p, &vals[i], sizeof vals[i], &r[i]), FERRY_OK);
        CU_ASSERT_PTR_NOT_NULL(r[i]);
        /* Once the first has brought credits, each is taken by the
         * transport at once: the shared completed request. */
        if (i > 1) CU_ASSERT_PTR_EQUAL(r[i], r[1]);
    }
    ferry_status_t st = {.source = 99, .error = 99};
    int done = 0;
    CU_ASSERT_EQUAL(ferry_test(&r[0], &done, &st), FERRY_OK);
    CU_ASSERT(done && r[0] == NULL && st.error == FERRY_OK);
    for (int i = 1; i < N; i++) {
        CU_ASSERT_EQUAL(ferry_wait(&r[i], &st), FERRY_OK);
        CU_ASSERT_PTR_NULL(r[i]);
        CU_ASSERT_EQUAL(st.error, FERRY_OK);
    }
    CU_ASSERT_EQUAL(ferry_wait(&r[0], NULL), FERRY_ERR_INVALID);
    for (int i = 0; i < N; i++) {
        int v = -1;
        CU_ASSERT_EQUAL(recv_int(p, &v), FERRY_OK);
        CU_ASSERT_EQUAL(v, i);
    }
    /* Limit 1: the second send waits for room, as a request of its own. */
    ferry_request_t a, b;
    int one = 1, two = 2, v = 0;
    CU_ASSERT_EQUAL(ferry_isend(small, &one, sizeof one, &a), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_isend(small, &two, sizeof two, &b), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_test(&b, &done, NULL), FERRY_OK);
    CU_ASSERT(!done && b != NULL);
    CU_ASSERT_EQUAL(recv_int(small, &v), FERRY_OK);
    CU_ASSERT_EQUAL(v, 1);
    CU_ASSERT_EQUAL(ferry_wait(&b, NULL), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_wait(&a, NULL), FERRY_OK);
    CU_ASSERT_EQUAL(recv_int(small, &v), FERRY_OK);
    CU_ASSERT_EQUAL(v, 2);
    CU_ASSERT_EQUAL(ferry_port_destroy(p), FERRY_OK);
    CU_ASSERT_EQUAL(ferry_port_destroy(small), FERRY_OK);
}

static int init_suite(void)
{
    unsetenv("PMI_FD");
    return ferry_init(NULL, NULL);
}

static int fini_suite(void)
{
    return ferry_finalize();
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    CU_pSuite s = CU_add_suite("ports in one process", init_suite, fini_suite);
    CU_add_test(s, "names and generations", test_names_and_generations);
    CU_add_test(s, "limits and send modes", test_limits_and_modes);
    CU_add_test(s, "port sets", test_sets);
    CU_add_test(s, "reply port and port names", test_message_extras);
    CU_add_test(s, "dead-name notification", test_dead_name_notice);
    CU_add_test(s, "out-of-line regions", test_regions);
    CU_add_test(s, "ports made before the table grows", test_table_growth);
    CU_add_test(s, "sends complete at once", test_isend_done_at_once);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
                      CU_get_number_of_suites_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
