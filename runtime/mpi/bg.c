/* Background work of the MPI layer, advanced from every MPI wait and test
 * so that, as MPI's progress rule asks, a nonblocking operation completes
 * while its process is blocked in some other call. */
#include "runtime/mpi/mpi_impl.h"
#include "runtime/progress/progress.h"

static struct mpi_sched *head;

void bg_add(struct mpi_sched *s)
{
    s->done = 0;
    s->next = head;
    head = s;
    mpi_s.bg_active = 1;
}

void bg_remove(struct mpi_sched *s)
{
    for (struct mpi_sched **p = &head; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    mpi_s.bg_active = head != NULL;
}

void mpi_bg_poll(void)
{
    struct mpi_sched **p = &head;
    while (*p) {
        struct mpi_sched *s = *p;
        if (s->poll(s)) {
            /* Finished: its owner sees s->done and no longer polls it. */
            s->done = 1;
            *p = s->next;
        } else {
            p = &s->next;
        }
    }
    mpi_s.bg_active = head != NULL;
}

struct waiter {
    int (*done)(void *);
    void *arg;
};

static int wait_hook(void *arg)
{
    struct waiter *w = arg;
    if (mpi_s.bg_active) mpi_bg_poll();
    return w->done(w->arg);
}

void mpi_wait_until(int (*done)(void *), void *arg)
{
    /* No background work can start while this waits: when there is none,
     * wait on the condition alone. */
    if (!mpi_s.bg_active) {
        progress_wait(done, arg, FERRY_FOREVER);
        return;
    }
    struct waiter w = {done, arg};
    progress_wait(wait_hook, &w, FERRY_FOREVER);
}

void mpi_poke(void)
{
    progress_once();
    if (mpi_s.bg_active) mpi_bg_poll();
}
