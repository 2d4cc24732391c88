/* The node's shared segment: one memfd per node, made by the launcher (or
 * its node agent) before the ranks are forked, inherited by them through
 * FERRY_SHM_FD. Only this file knows its layout's header. */
#ifndef FERRY_SHM_SEGMENT_H
#define FERRY_SHM_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

/* Create and initialise a segment for nlocal ranks. On success *fd is a
 * memfd without close-on-exec, ready to be inherited. */
int shm_segment_create(int nlocal, int *fd, size_t *size);

#endif
