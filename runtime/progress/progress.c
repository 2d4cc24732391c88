#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "include/ferry.h"
#include "runtime/core/api.h"
#include "runtime/core/world.h"
#include "runtime/port/port.h"
#include "runtime/progress/lock.h"
#include "runtime/progress/progress.h"
#include "runtime/progress/request.h"
#include "runtime/wireup/pmi_client.h"

#define MAX_TRANSPORTS 4

static struct {
    const struct ferry_transport_ops *tp[MAX_TRANSPORTS];
    int ntp;
    /* Those that can block, in the order added: the first is slept on. */
    const struct ferry_transport_ops *sleeper[MAX_TRANSPORTS];
    int nsleepers;
    uint64_t spin_ns;  /* a waiting rank polls for this long, */
    uint64_t yield_ns; /* then polls and yields the core for this long, then sleeps */
    int fast_polls;    /* polls before the first clock read and pause */
} pg;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static uint64_t env_us(const char *name, long dflt)
{
    const char *s = getenv(name);
    long us = s ? strtol(s, NULL, 10) : dflt;
    return us > 0 ? (uint64_t)us * 1000 : 0;
}

int progress_init(void)
{
    /* From ranks per core. A rank with a core of its own spins: a peer on
     * another core answers within microseconds, the first of them without
     * reading the clock or pausing, which would only delay noticing it.
     * When ranks share cores, a waiting rank gives its core away at every
     * empty poll, so the rank it waits for runs, and sleeps only after a
     * millisecond of that: a sleeper costs its sender a wake-up call and a
     * trip through the scheduler. (8 ranks on 2 cores, 200 all-to-all
     * rounds of 8 B through MPI, yielding 0, 0.1, 1 or 10 ms before the
     * sleep: 17.6, 7.5, 7.1, 13 ms.) */
    double per_core = (double)ferry_w.local_size / (ferry_w.ncores > 0 ? ferry_w.ncores : 1);
    int own_core = per_core <= 1;
    pg.spin_ns = env_us("FERRY_SPIN_US", own_core ? 100 : 0);
    pg.yield_ns = env_us("FERRY_YIELD_US", own_core ? 0 : 1000);
    pg.fast_polls = own_core ? 64 : 0;
    return FERRY_OK;
}

void progress_add_transport(const struct ferry_transport_ops *tp)
{
    if (pg.ntp < MAX_TRANSPORTS) pg.tp[pg.ntp++] = tp;
    if (tp->sleep && tp != &ferry_transport_self && pg.nsleepers < MAX_TRANSPORTS)
        pg.sleeper[pg.nsleepers++] = tp;
}

void progress_fini(void)
{
    pg.ntp = 0;
    pg.nsleepers = 0;
}

int progress_once(void)
{
    int n = 0;
    for (int i = 0; i < pg.ntp; i++) n += pg.tp[i]->poll();
    if (pending_active()) n += pending_progress();
    if (pulls_active()) n += pulls_progress();
    return n;
}

FERRY_API void ferry_progress(void)
{
    LOCKED();
    if (ferry_w.initialized) progress_once();
}

/* With more than one transport that can block (a futex for shm, a fabric's
 * fd for ofi) no single wait covers both: sleep on the first in slices of
 * SLEEP_SLICE_MS and poll them all between slices, so traffic on any of
 * them waits at most a slice, without spinning between slices. */
#define SLEEP_SLICE_MS 1

static void idle_sleep(int ms)
{
    if (pg.nsleepers == 1) {
        pg.sleeper[0]->sleep(ms);
    } else if (pg.nsleepers > 1) {
        for (int left = ms; left > 0; left -= SLEEP_SLICE_MS) {
            pg.sleeper[0]->sleep(left < SLEEP_SLICE_MS ? left : SLEEP_SLICE_MS);
            int n = 0;
            for (int k = 0; k < pg.nsleepers; k++) n += pg.sleeper[k]->poll();
            if (n) return;
        }
    } else {
        struct timespec ts = {0, (long)ms * 1000000L};
        nanosleep(&ts, NULL);
    }
}

int progress_wait(int (*done)(void *), void *arg, int timeout_ms)
{
    if (lock_on) return lock_wait(done, arg, timeout_ms);
    if (done(arg)) return FERRY_OK;
    for (int i = 0; i < pg.fast_polls; i++) {
        progress_once();
        if (done(arg)) return FERRY_OK;
    }
    uint64_t start = 0, deadline = UINT64_MAX, spin_end = 0, yield_end = 0;
    int idle = 0, spun = 0;
    for (;;) {
        int n = progress_once();
        if (done(arg)) return FERRY_OK;
        if (n) {
            idle = 0;
            continue;
        }
        if (idle++ == 0) {
            /* First empty poll of a quiet spell: start the spin clock. */
            uint64_t t = now_ns();
            if (!start) {
                start = t;
                if (timeout_ms >= 0) deadline = start + (uint64_t)timeout_ms * 1000000ULL;
            }
            spin_end = t + pg.spin_ns;
            yield_end = spin_end + pg.yield_ns;
            spun = 0;
        }
        /* Spinning, read the clock every 64 polls; past the spin, at each. */
        if ((idle & 63) && idle > 1 && !spun) {
            cpu_relax();
            continue;
        }
        uint64_t t = now_ns();
        if (t >= deadline) return FERRY_ERR_TIMEOUT;
        if (t < spin_end) continue;
        spun = 1;
        if (t < yield_end) {
            sched_yield();
            continue;
        }
        /* Before sleeping: has the launcher said a rank exited? */
        if (pmi_client_poll_events()) {
            idle = 0;
            continue;
        }
        /* Queued frames wait for ring space, which no doorbell announces:
         * sleep only briefly then. */
        uint64_t left_ms = deadline == UINT64_MAX ? 100 : (deadline - t + 999999) / 1000000;
        int cap = pending_active() ? 1 : 100;
        idle_sleep(left_ms < (uint64_t)cap ? (int)left_ms : cap);
        idle = 0;
    }
}

static int req_done(void *arg)
{
    return ((struct ferry_request *)arg)->done;
}

static int finish(ferry_request_t *req, ferry_status_t *status)
{
    struct ferry_request *r = *req;
    int rc = r->error;
    if (status) *status = r->status;
    req_free(r);
    *req = NULL;
    return rc;
}

FERRY_API int ferry_wait(ferry_request_t *req, ferry_status_t *status)
{
    LOCKED();
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (!req || !*req) return FERRY_ERR_INVALID;
    progress_wait(req_done, *req, FERRY_FOREVER);
    return finish(req, status);
}

FERRY_API int ferry_test(ferry_request_t *req, int *flag, ferry_status_t *status)
{
    LOCKED();
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (!req || !*req || !flag) return FERRY_ERR_INVALID;
    if (!(*req)->done) progress_once();
    *flag = (*req)->done;
    return *flag ? finish(req, status) : FERRY_OK;
}

/* For threaded waits (wait_mt.c), which poll under the lock between
 * sleeps: one sleep on the first transport that can block. One that
 * progress_wake cannot interrupt sleeps a slice at most. */
void progress_sleep(int ms)
{
    const struct ferry_transport_ops *tp = pg.nsleepers ? pg.sleeper[0] : NULL;
    if ((!tp || !tp->wake || pg.nsleepers > 1) && ms > SLEEP_SLICE_MS) ms = SLEEP_SLICE_MS;
    if (tp) {
        tp->sleep(ms);
    } else {
        struct timespec ts = {0, (long)ms * 1000000L};
        nanosleep(&ts, NULL);
    }
}

void progress_wake(void)
{
    if (pg.nsleepers && pg.sleeper[0]->wake) pg.sleeper[0]->wake();
}
