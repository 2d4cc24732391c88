/* The progress engine: one per process, driven by every wait and test. */
#ifndef FERRY_PROGRESS_H
#define FERRY_PROGRESS_H

#include "transports/transport.h"

int progress_init(void);
void progress_add_transport(const struct ferry_transport_ops *tp);
void progress_fini(void);
/* Poll every transport once and advance queued work; returns event count. */
int progress_once(void);
/* Drive progress until done(arg) or timeout_ms (FERRY_FOREVER: never)
 * passes, spinning briefly and then sleeping. */
int progress_wait(int (*done)(void *), void *arg, int timeout_ms);

/* With the big lock on (wait_mt.c): sleep once in the transport, up to
 * ms; wake a thread of this process sleeping there. */
void progress_sleep(int ms);
void progress_wake(void);

#endif
