/* The big lock (lock.h): a plain mutex made recursive by a per-thread
 * depth, a condition variable for threads that wait while another drives
 * progress, and the hand-shake with a thread asleep in a transport. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

#include "runtime/progress/lock.h"
#include "runtime/progress/progress.h"

int lock_on;

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_condattr_t monotonic;
/* Threads in lock_park, each with what it waits for; under the mutex. */
struct parked {
    struct parked *next;
    int (*done)(void *);
    void *arg;
    pthread_cond_t cv;
    int woken;
};
static struct parked *parked;
static atomic_int contenders; /* threads blocked on the mutex */
static atomic_int asleep;     /* a thread sleeps in a transport */
static __thread int depth;    /* this thread's levels of the lock */

void lock_enable(void)
{
    if (lock_on) return;
    pthread_condattr_init(&monotonic);
    /* Deadlines come from the monotonic clock, like the progress engine's. */
    pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
    lock_on = 1;
}

/* The transport a sleeper is in is entered by no one else: wake it and
 * let it get out before going on. Its wake-up may be lost while it is
 * only about to sleep, hence the repeated ring. */
static void wait_out_sleeper(void)
{
    while (atomic_load_explicit(&asleep, memory_order_acquire)) {
        progress_wake();
        sched_yield();
    }
}

static void acquire(void)
{
    if (pthread_mutex_trylock(&mutex) != 0) {
        atomic_fetch_add_explicit(&contenders, 1, memory_order_relaxed);
        pthread_mutex_lock(&mutex);
        atomic_fetch_sub_explicit(&contenders, 1, memory_order_relaxed);
    }
    wait_out_sleeper();
}

void lock_enter_slow(void)
{
    if (depth++ == 0) acquire();
}

void lock_leave_slow(void)
{
    /* A call is over: what it did (a message to itself, progress made,
     * a request completed) may be what a parked thread waits for. */
    if (depth == 1 && parked) lock_wake_parked(0);
    if (--depth) return;
    pthread_mutex_unlock(&mutex);
}

int lock_release_all(void)
{
    int d = depth;
    depth = 0;
    if (d) pthread_mutex_unlock(&mutex);
    return d;
}

void lock_reacquire(int d)
{
    if (d) acquire();
    depth = d;
}

int lock_contended(void)
{
    return atomic_load_explicit(&contenders, memory_order_relaxed) > 0;
}

void lock_set_asleep(int on)
{
    atomic_store_explicit(&asleep, on, memory_order_release);
}

int lock_park(int (*done)(void *), void *arg, unsigned long long deadline_ns)
{
    struct parked me = {parked, done, arg, PTHREAD_COND_INITIALIZER, 0};
    pthread_cond_init(&me.cv, &monotonic);
    parked = &me;
    int d = depth, rc = 0;
    depth = 0;
    if (deadline_ns == (unsigned long long)-1) {
        pthread_cond_wait(&me.cv, &mutex);
    } else {
        struct timespec ts = {(time_t)(deadline_ns / 1000000000ULL),
                              (long)(deadline_ns % 1000000000ULL)};
        rc = pthread_cond_timedwait(&me.cv, &mutex, &ts) != 0;
    }
    depth = d;
    for (struct parked **p = &parked; *p; p = &(*p)->next)
        if (*p == &me) {
            *p = me.next;
            break;
        }
    pthread_cond_destroy(&me.cv);
    /* Back with the mutex: a thread may have gone to sleep meanwhile. */
    wait_out_sleeper();
    return rc;
}

void lock_wake_parked(int driver_left)
{
    /* Only those whose wait is over: waking every parked thread at each
     * event would fill the cores with threads that go back to sleep. */
    struct parked *first = NULL;
    for (struct parked *p = parked; p; p = p->next) {
        if (p->woken) continue;
        if (p->done(p->arg)) {
            p->woken = 1;
            pthread_cond_signal(&p->cv);
        } else if (!first) {
            first = p;
        }
    }
    /* The driver left: one that still waits drives now. */
    if (driver_left && first) {
        first->woken = 1;
        pthread_cond_signal(&first->cv);
    }
}
