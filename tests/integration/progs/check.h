/* What the port test programs share: a failure counter, a CHECK that
 * reports where and why without stopping, and a monotonic clock. */
#ifndef FERRY_TEST_CHECK_H
#define FERRY_TEST_CHECK_H

#include <stdio.h>
#include <time.h>

#include "ferry.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s[%d] %s:%d: ", TEST_NAME, ferry_rank(), __func__, __LINE__);       \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
