/* Port queues and matching: FIFO order, source and tag filters, removal from
 * any position with the tail kept right. */
#include <CUnit/Basic.h>
#include <stdlib.h>

#include "runtime/port/queue.h"
#include "runtime/progress/request.h"

static struct ferry_msg *msg(uint32_t src, uint64_t tag, uint64_t seq)
{
    struct ferry_msg *m = calloc(1, sizeof *m);
    m->h = (struct ferry_hdr){.src = src, .kind = FRAME_EAGER, .tag = tag, .seq = seq};
    return m;
}

static void test_fifo_any(void)
{
    struct msg_queue q;
    msgq_init(&q);
    for (uint64_t i = 0; i < 5; i++) msgq_append(&q, msg((uint32_t)(i % 2), 0, i));
    CU_ASSERT_EQUAL(q.count, 5);
    struct match any = MATCH_ANY;
    for (uint64_t i = 0; i < 5; i++) {
        struct ferry_msg *m = msgq_find(&q, &any);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT_EQUAL(m->h.seq, i);
        msgq_remove(&q, m);
        free(m);
    }
    CU_ASSERT_PTR_NULL(msgq_find(&q, &any));
    CU_ASSERT_EQUAL(q.count, 0);
}

static void test_source_and_tag(void)
{
    struct msg_queue q;
    msgq_init(&q);
    msgq_append(&q, msg(1, 0x10, 0));
    msgq_append(&q, msg(2, 0x20, 1));
    msgq_append(&q, msg(1, 0x20, 2));
    struct match from2 = {2, 0, 0};
    CU_ASSERT_EQUAL(msgq_find(&q, &from2)->h.seq, 1);
    struct match tag20 = {-1, 0x20, 0xff};
    CU_ASSERT_EQUAL(msgq_find(&q, &tag20)->h.seq, 1);
    struct match from1tag20 = {1, 0x20, 0xff};
    struct ferry_msg *m = msgq_find(&q, &from1tag20);
    CU_ASSERT_EQUAL(m->h.seq, 2);
    /* Removing the last entry must leave the tail usable. */
    msgq_remove(&q, m);
    free(m);
    msgq_append(&q, msg(3, 0x30, 3));
    struct match from3 = {3, 0, 0};
    CU_ASSERT_EQUAL(msgq_find(&q, &from3)->h.seq, 3);
    struct match none = {9, 0, 0};
    CU_ASSERT_PTR_NULL(msgq_find(&q, &none));
    while (q.head) {
        m = q.head;
        msgq_remove(&q, m);
        free(m);
    }
}

static void test_posted_receives(void)
{
    struct req_queue q;
    reqq_init(&q);
    struct ferry_request *a = req_alloc(REQ_RECV), *b = req_alloc(REQ_RECV),
                         *c = req_alloc(REQ_RECV);
    a->m = (struct match){1, 0, 0};
    b->m = MATCH_ANY;
    c->m = (struct match){2, 0, 0};
    reqq_append(&q, a);
    reqq_append(&q, b);
    reqq_append(&q, c);
    struct ferry_hdr from2 = {.src = 2};
    /* The oldest receive that accepts the frame wins: b, not c. */
    CU_ASSERT_PTR_EQUAL(reqq_take(&q, &from2), b);
    CU_ASSERT_PTR_EQUAL(reqq_take(&q, &from2), c);
    CU_ASSERT_PTR_NULL(reqq_take(&q, &from2));
    CU_ASSERT_EQUAL(reqq_remove(&q, a), 1);
    CU_ASSERT_EQUAL(reqq_remove(&q, a), 0);
    CU_ASSERT_PTR_NULL(q.head);
    reqq_append(&q, a);
    CU_ASSERT_PTR_EQUAL(q.head, a);
    req_free(a);
    req_free(b);
    req_free(c);
    req_cache_free();
}

static void test_rndv_cookies(void)
{
    struct ferry_request *r = req_alloc(REQ_SEND);
    uint64_t c = rndv_register(r);
    CU_ASSERT_NOT_EQUAL(c, 0);
    CU_ASSERT_PTR_EQUAL(rndv_lookup(c), r);
    rndv_unregister(c);
    /* A stale or forged cookie finds nothing, even when the slot is reused. */
    CU_ASSERT_PTR_NULL(rndv_lookup(c));
    uint64_t c2 = rndv_register(r);
    CU_ASSERT_NOT_EQUAL(c2, c);
    CU_ASSERT_PTR_NULL(rndv_lookup(c));
    CU_ASSERT_PTR_NULL(rndv_lookup(0xffffffff00000001ULL));
    rndv_table_free();
    req_free(r);
    req_cache_free();
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    CU_pSuite s = CU_add_suite("port queues", NULL, NULL);
    CU_add_test(s, "FIFO with any-source", test_fifo_any);
    CU_add_test(s, "source and tag matching", test_source_and_tag);
    CU_add_test(s, "posted receives", test_posted_receives);
    CU_add_test(s, "rendezvous cookies", test_rndv_cookies);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
