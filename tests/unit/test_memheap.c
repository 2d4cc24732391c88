/* The shared heap allocator: allocation, exhaustion, coalescing, hostile
 * frees, and random churn with overlap checks. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "include/ferry.h"
#include "transports/shm/memheap.h"

#define SIZE (1u << 20)

static void *region(void)
{
    void *r = NULL;
    CU_ASSERT_FATAL(posix_memalign(&r, 4096, SIZE) == 0);
    CU_ASSERT_FATAL(memheap_init(r, SIZE) == FERRY_OK);
    return r;
}

static void test_basic(void)
{
    void *r = region();
    size_t all = memheap_free_bytes(r);
    uint64_t a = memheap_alloc(r, 100), b = memheap_alloc(r, 5000);
    CU_ASSERT(a && b && a != b);
    CU_ASSERT(a % MEMHEAP_ALIGN == 0 && b % MEMHEAP_ALIGN == 0);
    CU_ASSERT(memheap_usable(r, a) >= 100 && memheap_usable(r, b) >= 5000);
    memset((char *)r + a, 1, 100);
    memset((char *)r + b, 2, 5000);
    CU_ASSERT_EQUAL(memheap_free(r, a), FERRY_OK);
    /* Freeing twice, or something never allocated, is refused. */
    CU_ASSERT_EQUAL(memheap_free(r, a), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(memheap_free(r, b + 64), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(memheap_free(r, 3), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(memheap_free(r, (uint64_t)SIZE * 4), FERRY_ERR_INVALID);
    CU_ASSERT_EQUAL(memheap_usable(r, a), 0);
    CU_ASSERT_EQUAL(memheap_free(r, b), FERRY_OK);
    CU_ASSERT_EQUAL(memheap_free_bytes(r), all);
    free(r);
}

static void test_exhaust_and_merge(void)
{
    void *r = region();
    size_t all = memheap_free_bytes(r);
    CU_ASSERT_EQUAL(memheap_alloc(r, SIZE), 0); /* more than there is */
    uint64_t blocks[64];
    int n = 0;
    while (n < 64 && (blocks[n] = memheap_alloc(r, SIZE / 32))) n++;
    CU_ASSERT(n >= 28 && n < 32);
    CU_ASSERT_EQUAL(memheap_alloc(r, SIZE / 32), 0);
    /* Free every other block, then the rest: all merges back into one. */
    for (int i = 0; i < n; i += 2) CU_ASSERT_EQUAL(memheap_free(r, blocks[i]), FERRY_OK);
    CU_ASSERT_EQUAL(memheap_alloc(r, SIZE / 8), 0); /* fragmented */
    for (int i = 1; i < n; i += 2) CU_ASSERT_EQUAL(memheap_free(r, blocks[i]), FERRY_OK);
    CU_ASSERT_EQUAL(memheap_free_bytes(r), all);
    uint64_t big = memheap_alloc(r, SIZE - 4096);
    CU_ASSERT(big != 0);
    CU_ASSERT_EQUAL(memheap_free(r, big), FERRY_OK);
    free(r);
}

static void test_churn(void)
{
    void *r = region();
    size_t all = memheap_free_bytes(r);
    enum { SLOTS = 200 };
    uint64_t off[SLOTS] = {0};
    size_t len[SLOTS] = {0};
    unsigned seed = 12345;
    int bad = 0;
    for (int step = 0; step < 20000; step++) {
        int i = (int)(rand_r(&seed) % SLOTS);
        if (off[i]) {
            const unsigned char *p = (unsigned char *)r + off[i];
            for (size_t k = 0; k < len[i]; k++) bad += p[k] != (unsigned char)(i + k);
            CU_ASSERT_EQUAL(memheap_free(r, off[i]), FERRY_OK);
            off[i] = 0;
        } else {
            len[i] = 1 + rand_r(&seed) % 8000;
            off[i] = memheap_alloc(r, len[i]);
            if (off[i]) {
                unsigned char *p = (unsigned char *)r + off[i];
                for (size_t k = 0; k < len[i]; k++) p[k] = (unsigned char)(i + k);
            }
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    for (int i = 0; i < SLOTS; i++)
        if (off[i]) CU_ASSERT_EQUAL(memheap_free(r, off[i]), FERRY_OK);
    CU_ASSERT_EQUAL(memheap_free_bytes(r), all);
    free(r);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    CU_pSuite s = CU_add_suite("shared heap", NULL, NULL);
    CU_add_test(s, "alloc, free, hostile frees", test_basic);
    CU_add_test(s, "exhaustion and merging", test_exhaust_and_merge);
    CU_add_test(s, "random churn without overlap", test_churn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
