/* What a message may carry besides its body: a reply port, port names and
 * out-of-line regions of the node's shared heap. On the wire they follow
 * the body (or the rendezvous descriptor):
 *
 *   [ports: nports x 12][regions: nregions x 16][reply 12, nports 4, nregions 4, 0 4]
 *
 * with the fixed trailer last so a receiver finds it from the end. */
#ifndef FERRY_EXTRA_H
#define FERRY_EXTRA_H

#include <stddef.h>
#include <stdint.h>

#include "include/ferry.h"

struct msg_region {
    uint64_t off; /* in the node's shared heap; REGION_REMOTE: the sender's address */
    uint64_t len; /* may carry REGION_REMOTE */
};

/* The region stays in the sender's memory (a rank of another node): the
 * receiver pulls it into its own heap; only large sends carry these, so the
 * sender keeps the memory until the FIN. */
#define REGION_REMOTE (UINT64_C(1) << 63)
#define REGION_LEN(r) ((r).len & ~REGION_REMOTE)

struct msg_extra {
    ferry_port_t reply;
    uint32_t nports, nregions;
    ferry_port_t *ports; /* both arrays live in this allocation */
    struct msg_region *regions;
};

struct msg_extra *extra_new(ferry_port_t reply, uint32_t nports, uint32_t nregions);
size_t extra_wire_len(const struct msg_extra *x);
void extra_encode(const struct msg_extra *x, char *out);
/* Decode the extras ending at end (avail bytes before it belong to the
 * payload). Returns their wire length, or -1 when malformed. */
long extra_decode(const char *end, size_t avail, struct msg_extra **x);
int extra_has_remote(const struct msg_extra *x);
/* Free x; with release, also the heap regions it owns (a message dropped
 * or not asked for: its regions go back to the heap). */
void extra_free(struct msg_extra *x, int release);

#endif
