/* Waiting when several threads may wait at once (the big lock is on).
 *
 * One waiting thread at a time, the driver, polls the transports for
 * everyone: a request completes whoever polls, so the others need not
 * poll too. It lets the lock go to any thread that asks for it between
 * polls, and drops it while it yields or sleeps. The other waiters park
 * on the lock's condition variable; the driver wakes them when a poll
 * made progress and when it leaves (then one of them drives), and every
 * public call wakes them on its way out. */
#include <sched.h>
#include <stdint.h>
#include <time.h>

#include "include/ferry.h"
#include "runtime/core/world.h"
#include "runtime/port/port.h"
#include "runtime/progress/lock.h"
#include "runtime/progress/progress.h"
#include "runtime/wireup/pmi_client.h"

/* A driver with a core of its own polls this long before yielding, and
 * yields this long before sleeping; sharing cores, it yields at once. */
#define SPIN_NS  50000ULL
#define YIELD_NS 1000000ULL

static int driving;          /* a thread drives progress; under the lock */
static __thread int i_drive; /* this thread does (a wait inside its done() drives too) */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Let the threads that wait for the lock have it, then take it back. */
static void let_in(int yield)
{
    int d = lock_release_all();
    for (int i = 0; i < 64 && lock_contended(); i++) sched_yield();
    if (yield) sched_yield();
    lock_reacquire(d);
}

static void sleep_unlocked(int ms)
{
    lock_wake_parked(0); /* what a parked thread's own check would advance */
    lock_set_asleep(1);
    int d = lock_release_all();
    progress_sleep(ms);
    lock_set_asleep(0);
    lock_reacquire(d);
}

static int drive(int (*done)(void *), void *arg, uint64_t deadline)
{
    uint64_t spin = ferry_w.oversubscribed ? 0 : SPIN_NS;
    uint64_t idle_since = 0;
    for (;;) {
        int n = progress_once();
        if (n) lock_wake_parked(0);
        if (done(arg)) return FERRY_OK;
        if (n) {
            idle_since = 0;
            continue;
        }
        uint64_t t = now_ns();
        if (t >= deadline) return FERRY_ERR_TIMEOUT;
        if (!idle_since) idle_since = t;
        if (t - idle_since < spin) {
            if (lock_contended()) let_in(0);
            continue;
        }
        if (t - idle_since < spin + YIELD_NS) {
            let_in(1);
            continue;
        }
        /* As progress_wait: the launcher's news first, a short sleep while
         * frames wait for ring space (no doorbell announces room). */
        if (pmi_client_poll_events()) {
            idle_since = 0;
            continue;
        }
        uint64_t left = deadline == UINT64_MAX ? 100 : (deadline - t + 999999) / 1000000;
        uint64_t cap = pending_active() ? 1 : 100;
        sleep_unlocked((int)(left < cap ? left : cap));
    }
}

int lock_wait(int (*done)(void *), void *arg, int timeout_ms)
{
    LOCKED();
    if (done(arg)) return FERRY_OK;
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : now_ns() + (uint64_t)timeout_ms * 1000000ULL;
    for (;;) {
        if (i_drive) return drive(done, arg, deadline);
        if (!driving) {
            driving = i_drive = 1;
            int rc = drive(done, arg, deadline);
            driving = i_drive = 0;
            lock_wake_parked(1); /* one of them drives now */
            return rc;
        }
        int timed_out =
            lock_park(done, arg, deadline == UINT64_MAX ? (unsigned long long)-1 : deadline);
        if (done(arg)) return FERRY_OK;
        if (timed_out && now_ns() >= deadline) return FERRY_ERR_TIMEOUT;
    }
}
