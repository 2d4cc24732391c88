#include <stdlib.h>
#include <string.h>

#include "runtime/port/extra.h"
#include "runtime/port/ool.h"

struct trailer {
    ferry_port_t reply;
    uint32_t nports, nregions, zero;
};

struct msg_extra *extra_new(ferry_port_t reply, uint32_t nports, uint32_t nregions)
{
    /* The regions' 64-bit fields must be aligned after 12-byte port names. */
    size_t plen = (nports * sizeof(ferry_port_t) + 7) & ~(size_t)7;
    struct msg_extra *x = malloc(sizeof *x + plen + nregions * sizeof(struct msg_region));
    if (!x) return NULL;
    x->reply = reply;
    x->nports = nports;
    x->nregions = nregions;
    x->ports = (ferry_port_t *)(x + 1);
    x->regions = (struct msg_region *)((char *)x->ports + plen);
    return x;
}

size_t extra_wire_len(const struct msg_extra *x)
{
    return x->nports * sizeof(ferry_port_t) + x->nregions * sizeof(struct msg_region) +
           sizeof(struct trailer);
}

void extra_encode(const struct msg_extra *x, char *out)
{
    size_t plen = x->nports * sizeof(ferry_port_t);
    size_t rlen = x->nregions * sizeof(struct msg_region);
    struct trailer t = {x->reply, x->nports, x->nregions, 0};
    memcpy(out, x->ports, plen);
    memcpy(out + plen, x->regions, rlen);
    memcpy(out + plen + rlen, &t, sizeof t);
}

long extra_decode(const char *end, size_t avail, struct msg_extra **out)
{
    *out = NULL;
    struct trailer t;
    if (avail < sizeof t) return -1;
    memcpy(&t, end - sizeof t, sizeof t);
    if (t.nports > FERRY_MSG_PORTS_MAX || t.nregions > FERRY_MSG_REGIONS_MAX || t.zero) return -1;
    size_t plen = t.nports * sizeof(ferry_port_t);
    size_t rlen = t.nregions * sizeof(struct msg_region);
    if (avail < sizeof t + plen + rlen) return -1;
    struct msg_extra *x = extra_new(t.reply, t.nports, t.nregions);
    if (!x) return -1;
    const char *start = end - sizeof t - rlen - plen;
    memcpy(x->ports, start, plen);
    memcpy(x->regions, start + plen, rlen);
    /* A region must be a live block of the node's heap, as long as said. */
    for (uint32_t i = 0; i < x->nregions; i++)
        if (!(x->regions[i].len & REGION_REMOTE) &&
            !ool_check(x->regions[i].off, x->regions[i].len)) {
            free(x);
            return -1;
        }
    *out = x;
    return (long)(sizeof t + plen + rlen);
}

int extra_has_remote(const struct msg_extra *x)
{
    for (uint32_t i = 0; x && i < x->nregions; i++)
        if (x->regions[i].len & REGION_REMOTE) return 1;
    return 0;
}

void extra_free(struct msg_extra *x, int release)
{
    if (!x) return;
    if (release)
        for (uint32_t i = 0; i < x->nregions; i++)
            if (!(x->regions[i].len & REGION_REMOTE)) ool_release(x->regions[i].off);
    free(x);
}
