/* The node's shared segment: one memfd per node, made by the launcher (or
 * its node agent) before the ranks are forked, inherited by them through
 * FERRY_SHM_FD. Ranks started by another launcher make a named one instead
 * (shm_segment_open_named). Only this file knows its layout's header. */
#ifndef FERRY_SHM_SEGMENT_H
#define FERRY_SHM_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

/* Create and initialise a segment for nlocal ranks. On success *fd is a
 * memfd without close-on-exec, ready to be inherited. */
int shm_segment_create(int nlocal, int *fd, size_t *size);

/* Why the last shm_segment_create or shm_segment_open_named of this
 * process failed, in words. */
const char *shm_segment_error(void);

/* The named fallback, for ranks that inherited no segment: every rank of
 * the node calls this with the same name (in /dev/shm); the first to
 * arrive creates and initialises the segment, the others wait (up to
 * timeout_ms) until it is complete. *fd is close-on-exec. The caller
 * unlinks the name once every local rank has opened it. */
int shm_segment_open_named(const char *name, int nlocal, int timeout_ms, int *fd);

#endif
