/* Waking a rank that sleeps in the kernel, and sleeping: a futex word in the
 * rank's control block. A sender rings only when the receiver said it is
 * going to sleep, so a busy receiver costs the sender one shared load. */
#ifndef FERRY_SHM_DOORBELL_H
#define FERRY_SHM_DOORBELL_H

#include "transports/shm/layout.h"

/* After making something visible to ctl's owner (a frame, a slot): wake it
 * if it sleeps. Contains the full fence that pairs with doorbell_sleep. */
void doorbell_ring(struct shm_ctl *ctl);
/* Sleep until rung or timeout_ms passes, unless ready() finds work after
 * this rank has announced it is going to sleep. */
void doorbell_sleep(struct shm_ctl *self, int (*ready)(void), int timeout_ms);

#endif
