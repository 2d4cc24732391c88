/* Waking a rank that sleeps in the kernel, and sleeping: a futex word in the
 * rank's control block. A sender rings only when the receiver said it is
 * going to sleep, so a busy receiver costs the sender one shared load.
 *
 * The sender's "publish, then read the sleeping flag" and the sleeper's
 * "set the flag, then look for work" need a full barrier on both sides
 * (Dekker). On the sender's side that barrier waited, on every frame, for
 * the frame's cache line to be taken from the receiver, which polls it: a
 * cross-core trip per message. Where the kernel has membarrier's global
 * expedited command, the sleeper, which is about to spend a system call
 * anyway, executes the barrier on every running rank's behalf instead, and
 * senders to it skip theirs. */
#ifndef FERRY_SHM_DOORBELL_H
#define FERRY_SHM_DOORBELL_H

#include "transports/shm/layout.h"

/* Once per process, before self sleeps or rings: register for expedited
 * barriers if allowed and the kernel offers them, and say so in
 * self->light. */
void doorbell_init(struct shm_ctl *self, int allow_expedited);
/* After making something visible to ctl's owner (a frame, a slot): wake it
 * if it sleeps. Pairs with doorbell_sleep (a full fence, or the sleeper's
 * expedited barrier). */
void doorbell_ring(struct shm_ctl *ctl);
/* Sleep until rung or timeout_ms passes, unless ready() finds work after
 * this rank has announced it is going to sleep. */
void doorbell_sleep(struct shm_ctl *self, int (*ready)(void), int timeout_ms);

#endif
