#include <stdlib.h>
#include <string.h>

#include "runtime/port/queue.h"
#include "runtime/progress/request.h"

/* Freed requests are kept for reuse: a send or receive then costs no malloc. */
static struct ferry_request *cache;

struct ferry_request *req_alloc(enum req_kind kind)
{
    struct ferry_request *r = cache;
    if (r)
        cache = r->next;
    else if (!(r = calloc(1, sizeof *r)))
        return NULL;
    r->next = NULL;
    r->kind = (uint8_t)kind;
    r->done = 0;
    r->internal = 0;
    r->flags = 0;
    r->mode = 0;
    r->error = 0;
    r->status = (ferry_status_t){.source = -1};
    r->peer = -1;
    r->payload = NULL;
    r->plen = 0;
    r->body = NULL;
    r->blen = 0;
    r->iovcnt = 0;
    r->cookie = 0;
    if (kind == REQ_RECV) {
        r->buf = NULL;
        r->cap = 0;
        r->reply = (ferry_port_t){0, 0, 0};
        r->ports = NULL;
        r->ports_cap = 0;
        r->nports = 0;
        r->regions = NULL;
        r->regions_cap = 0;
        r->nregions = 0;
        r->port = 0;
        r->m = (struct match){0, 0, 0};
        r->pull = (struct ferry_pull){0};
        r->nxpulls = 0;
    }
    return r;
}

static const struct ferry_request sent = {
    .kind = REQ_SEND, .done = 1, .peer = -1, .status = {.source = -1}};

struct ferry_request *req_sent(void)
{
    /* Handed out as a plain request; nothing writes a done send's fields. */
    return (struct ferry_request *)&sent;
}

void req_free(struct ferry_request *r)
{
    if (r == &sent) return;
    /* Usually all NULL: four calls into libc saved per message. */
    if (r->owned || r->x || r->xpulls || r->xoffs) {
        free(r->owned);
        free((void *)r->x);
        free(r->xpulls);
        free(r->xoffs);
        r->owned = NULL;
        r->x = NULL;
        r->xpulls = NULL;
        r->xoffs = NULL;
    }
    r->next = cache;
    cache = r;
}

void req_complete(struct ferry_request *r, int error)
{
    r->error = error;
    r->status.error = error;
    r->done = 1;
    if (r->internal) req_free(r);
}

void req_cache_free(void)
{
    while (cache) {
        struct ferry_request *r = cache;
        cache = r->next;
        free(r);
    }
}

/* Rendezvous table: cookie = slot << 32 | generation, so a stale or forged
 * cookie from a peer finds nothing. */
static struct slot {
    struct ferry_request *r;
    uint32_t gen;
    uint32_t next_free;
} * slots;
static uint32_t nslots, free_head = UINT32_MAX;

uint64_t rndv_register(struct ferry_request *r)
{
    if (free_head == UINT32_MAX) {
        uint32_t n = nslots ? nslots * 2 : 64;
        struct slot *s = realloc(slots, n * sizeof *s);
        if (!s) return 0;
        slots = s;
        for (uint32_t i = nslots; i < n; i++) {
            slots[i].r = NULL;
            slots[i].gen = 1;
            slots[i].next_free = i + 1 < n ? i + 1 : free_head;
        }
        free_head = nslots;
        nslots = n;
    }
    uint32_t i = free_head;
    free_head = slots[i].next_free;
    slots[i].r = r;
    return (uint64_t)i << 32 | slots[i].gen;
}

struct ferry_request *rndv_lookup(uint64_t cookie)
{
    uint32_t i = (uint32_t)(cookie >> 32);
    if (i >= nslots || slots[i].gen != (uint32_t)cookie) return NULL;
    return slots[i].r;
}

void rndv_unregister(uint64_t cookie)
{
    uint32_t i = (uint32_t)(cookie >> 32);
    if (i >= nslots || slots[i].gen != (uint32_t)cookie) return;
    slots[i].r = NULL;
    slots[i].gen++;
    slots[i].next_free = free_head;
    free_head = i;
}

void rndv_fail_peer(int rank, int error)
{
    for (uint32_t i = 0; i < nslots; i++) {
        struct ferry_request *r = slots[i].r;
        if (!r || r->peer != rank) continue;
        rndv_unregister((uint64_t)i << 32 | slots[i].gen);
        r->cookie = 0;
        req_complete(r, error);
    }
}

void rndv_table_free(void)
{
    free(slots);
    slots = NULL;
    nslots = 0;
    free_head = UINT32_MAX;
}
