/* A rank of the job exited (ferryrun --no-abort-on-exit tells the others):
 * everything that waits on it fails with FERRY_ERR_DEAD_PORT instead of
 * hanging, later sends to it fail at once, and watchers of its ports are
 * notified. */
#include "include/ferry.h"
#include "runtime/core/world.h"
#include "runtime/port/flow.h"
#include "runtime/port/port.h"
#include "runtime/progress/request.h"

void peer_died(int rank)
{
    if (rank < 0 || rank >= ferry_w.size || rank == ferry_w.rank) return;
    struct ferry_peer *p = &ferry_w.peers[rank];
    if (p->dead) return;
    p->dead = 1;
    struct ferry_request *r;
    while ((r = p->pend_head)) {
        p->pend_head = r->next;
        if (r->cookie) rndv_unregister(r->cookie);
        req_complete(r, FERRY_ERR_DEAD_PORT);
    }
    p->pend_tail = NULL; /* the pending list drops the peer on its next pass */
    dest_rank_died((uint32_t)rank);
    rndv_fail_peer(rank, FERRY_ERR_DEAD_PORT);
    watch_rank_died((uint32_t)rank);
}
