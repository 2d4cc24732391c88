/* The job as this rank sees it: who it is, who shares its node, and which
 * transport reaches each peer. One per process. */
#ifndef FERRY_WORLD_H
#define FERRY_WORLD_H

#include <stdint.h>
#include <stdio.h>

#include "transports/transport.h"

struct ferry_request;

/* Per-peer send state. */
struct ferry_peer {
    const struct ferry_transport_ops *tp;
    /* Frames that found no room in the transport, sent in order later. */
    struct ferry_request *pend_head, *pend_tail;
    struct ferry_peer *pend_next; /* in the world's list of peers with pending frames */
    uint8_t dead;                 /* the rank has exited */
};

struct ferry_world {
    int initialized;
    int rank, size;
    int local_rank, local_size;
    int *local_ranks;         /* [local_size]: global ranks on this node, in rank order */
    int *local_index;         /* [size]: index among local_ranks, or -1 */
    int *node_of;             /* [size]: the lowest rank on each rank's node */
    struct ferry_peer *peers; /* [size] */
    struct ferry_peer *pend_list;
    int oversubscribed; /* more local ranks than cores */
    int ncores;
};

extern struct ferry_world ferry_w;

/* Build the node map from one node key per rank (all ranks' keys, in rank
 * order). Pure: unit-testable. */
int world_set_nodes(struct ferry_world *w, char *const *node_keys);
void world_free(struct ferry_world *w);

/* Print a diagnostic prefixed with this rank. For conditions the caller
 * cannot return (a peer's malformed frame), not for normal errors. */
void ferry_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
