#include <linux/futex.h>
#include <linux/membarrier.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "transports/shm/doorbell.h"

/* This process is registered for MEMBARRIER_CMD_GLOBAL_EXPEDITED: a
 * sleeper's barrier reaches it, so its rings need no fence of their own. */
static int expedited;

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
    /* Not FUTEX_PRIVATE: the word is shared between processes. */
    return syscall(SYS_futex, (uint32_t *)addr, op, val, ts, NULL, 0);
}

static long membarrier(int cmd)
{
    return syscall(SYS_membarrier, cmd, 0, 0);
}

void doorbell_init(struct shm_ctl *self, int allow_expedited)
{
    long cmds = allow_expedited ? membarrier(MEMBARRIER_CMD_QUERY) : 0;
    expedited = cmds > 0 && (cmds & MEMBARRIER_CMD_GLOBAL_EXPEDITED) &&
                membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
    atomic_store_explicit(&self->light, (uint32_t)expedited, memory_order_release);
}

void doorbell_ring(struct shm_ctl *ctl)
{
    /* Orders the publication before reading the sleeping flag. A sleeper
     * that says "light" runs an expedited barrier on this rank (registered)
     * after setting its flag and before looking for work: then only the
     * compiler must keep the order. */
    if (expedited && atomic_load_explicit(&ctl->light, memory_order_relaxed))
        atomic_signal_fence(memory_order_seq_cst);
    else
        atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&ctl->sleeping, memory_order_relaxed)) {
        atomic_fetch_add_explicit(&ctl->doorbell, 1, memory_order_release);
        futex(&ctl->doorbell, FUTEX_WAKE, 1, NULL);
    }
}

void doorbell_sleep(struct shm_ctl *self, int (*ready)(void), int timeout_ms)
{
    uint32_t seen = atomic_load_explicit(&self->doorbell, memory_order_acquire);
    atomic_store_explicit(&self->sleeping, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&self->light, memory_order_relaxed) &&
        membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0) {
        /* Cannot fence the senders: from now on they fence themselves. One
         * may just have skipped its fence, so this sleep is short. */
        atomic_store_explicit(&self->light, 0, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
        if (timeout_ms < 0 || timeout_ms > 1) timeout_ms = 1;
    }
    if (!ready()) {
        struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
        futex(&self->doorbell, FUTEX_WAIT, seen, timeout_ms < 0 ? NULL : &ts);
    }
    atomic_store_explicit(&self->sleeping, 0, memory_order_relaxed);
}
