#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "transports/shm/doorbell.h"

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
    /* Not FUTEX_PRIVATE: the word is shared between processes. */
    return syscall(SYS_futex, (uint32_t *)addr, op, val, ts, NULL, 0);
}

void doorbell_ring(struct shm_ctl *ctl)
{
    /* Orders the frame's publication before reading the sleeping flag; the
     * sleeper orders its flag before re-checking for frames (Dekker). */
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
    if (!ready()) {
        struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
        futex(&self->doorbell, FUTEX_WAIT, seen, timeout_ms < 0 ? NULL : &ts);
    }
    atomic_store_explicit(&self->sleeping, 0, memory_order_relaxed);
}
