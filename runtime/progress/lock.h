/* The big lock: one process-wide mutex that makes Ferry and its MPI layer
 * safe to call from several threads at once (ferry_init_thread,
 * MPI_THREAD_MULTIPLE). Every public call that touches shared state holds
 * it for its duration; a thread that waits lets it go while it yields or
 * sleeps (lock_wait), so the others go on. It is recursive, since public
 * calls call each other. Off unless a program asked for threads: then a
 * call pays one predicted branch on entry and one on return. */
#ifndef FERRY_LOCK_H
#define FERRY_LOCK_H

extern int lock_on;

/* Turn the lock on; only while no other thread is inside Ferry (at init). */
void lock_enable(void);
void lock_enter_slow(void);
void lock_leave_slow(void);

static inline int lock_enter(void)
{
    if (__builtin_expect(!lock_on, 1)) return 0;
    lock_enter_slow();
    return 1;
}

static inline void lock_scope_end(const int *held)
{
    if (__builtin_expect(*held, 0)) lock_leave_slow();
}

/* Hold the big lock from here to the end of the enclosing block. */
#define LOCKED()                                                                                   \
    __attribute__((cleanup(lock_scope_end), unused)) const int lock_held_ = lock_enter()

/* progress_wait with the lock on (wait_mt.c): one waiting thread at a time
 * drives progress and sleeps in the transport; the others sleep on a
 * condition variable until progress was made or the driver left. */
int lock_wait(int (*done)(void *), void *arg, int timeout_ms);

/* For wait_mt.c. Let go of every level of the lock this thread holds
 * (returns how many) and take them back; taking the lock waits out a
 * thread asleep in a transport (lock_set_asleep). */
int lock_release_all(void);
void lock_reacquire(int depth);
/* Whether another thread is blocked on the lock. */
int lock_contended(void);
/* A thread sleeps in a transport without the lock: whoever takes the lock
 * meanwhile wakes it and waits until it is out, so that a transport is
 * never entered by two threads at once. */
void lock_set_asleep(int asleep);
/* Sleep without the lock until woken (done(arg) has become true, or the
 * thread should drive) or the monotonic clock reaches deadline_ns
 * (ULLONG_MAX: never); 1 on timeout. */
int lock_park(int (*done)(void *), void *arg, unsigned long long deadline_ns);
/* Wake the parked threads whose done() now holds, and when the driver
 * left, one other to drive in its place. */
void lock_wake_parked(int driver_left);

#endif
