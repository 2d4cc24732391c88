/* The port table: allocation, destruction, limits, status, port sets and
 * the bookkeeping of a port's death. */
#include <stdlib.h>

#include "include/ferry.h"
#include "runtime/core/api.h"
#include "runtime/core/world.h"
#include "runtime/port/flow.h"
#include "runtime/port/port.h"
#include "runtime/progress/progress.h"
#include "runtime/progress/request.h"
#include "runtime/progress/lock.h"

static struct port_rec *ports;
static uint32_t nports, cap_ports;

static void port_open(struct port_rec *p, unsigned qlimit)
{
    uint32_t gen = p->gen;
    *p = (struct port_rec){.gen = gen, .alive = 1, .qlimit = qlimit, .set = NO_SET};
    msgq_init(&p->unexpected);
    reqq_init(&p->posted);
}

int ports_init(void)
{
    cap_ports = 16;
    ports = calloc(cap_ports, sizeof *ports);
    if (!ports) return FERRY_ERR_NOMEM;
    nports = PORT_FIRST_USER;
    ports[PORT_WELL_KNOWN].gen = PORT_WELL_KNOWN_GEN;
    port_open(&ports[PORT_WELL_KNOWN], FERRY_QLIMIT_DEFAULT);
    ports[PORT_MPI].gen = PORT_MPI_GEN;
    port_open(&ports[PORT_MPI], FERRY_QLIMIT_MAX);
    return FERRY_OK;
}

uint32_t port_index_of(const struct port_rec *p)
{
    return (uint32_t)(p - ports);
}

static ferry_port_t name_of(const struct port_rec *p)
{
    return (ferry_port_t){(uint32_t)ferry_w.rank, port_index_of(p), p->gen};
}

static void set_remove_member(struct port_rec *set, uint32_t index)
{
    for (uint32_t i = 0; i < set->nmembers; i++) {
        if (set->members[i] != index) continue;
        set->members[i] = set->members[--set->nmembers];
        if (set->rr >= set->nmembers) set->rr = 0;
        return;
    }
}

/* Free what a port holds: posted receives fail, queued large messages tell
 * their senders the port is dead so they do not wait forever, senders that
 * hold credits and watchers are told (unless the job is ending: tell). */
static void port_close(struct port_rec *p, int tell)
{
    uint32_t index = port_index_of(p);
    ferry_port_t name = name_of(p);
    /* Dead before anyone is told: what this rank sends itself while the
     * port closes (a dead-name notice to it, a credit request) must find it
     * gone rather than queue into it after its queue was emptied. */
    p->alive = 0;
    struct ferry_request *r;
    while ((r = p->posted.head)) {
        reqq_remove(&p->posted, r);
        req_complete(r, FERRY_ERR_DEAD_PORT);
    }
    struct ferry_msg *m;
    while ((m = p->unexpected.head)) {
        msgq_remove(&p->unexpected, m);
        if (tell && m->h.kind == FRAME_RTS) send_control((int)m->h.src, FRAME_DEAD, m->rndv.cookie);
        msg_free(m);
    }
    if (p->is_set)
        for (uint32_t i = 0; i < p->nmembers; i++) ports[p->members[i]].set = NO_SET;
    else if (p->set != NO_SET)
        set_remove_member(&ports[p->set], index);
    free(p->members);
    if (tell) flow_port_closed(p, index);
    flow_port_free(p);
    watch_port_closed(p, index, name.gen, tell);
    p->gen++;
}

void ports_fini(void)
{
    for (uint32_t i = 0; i < nports; i++)
        if (ports[i].alive) port_close(&ports[i], 0);
    free(ports);
    ports = NULL;
    nports = cap_ports = 0;
}

struct port_rec *port_lookup(uint32_t index, uint32_t gen)
{
    index &= ~PORT_ONCE_BIT;
    if (index >= nports) return NULL;
    struct port_rec *p = &ports[index];
    return p->alive && p->gen == gen ? p : NULL;
}

struct port_rec *port_lookup_index(uint32_t index)
{
    return index < nports && ports[index].alive ? &ports[index] : NULL;
}

struct port_rec *port_at(uint32_t index)
{
    return &ports[index];
}

FERRY_API ferry_port_t ferry_port_of_rank(int rank)
{
    if (rank < 0 || (ferry_w.initialized && rank >= ferry_w.size)) return FERRY_PORT_NULL;
    return (ferry_port_t){(uint32_t)rank, PORT_WELL_KNOWN, PORT_WELL_KNOWN_GEN};
}

FERRY_API int ferry_port_equal(ferry_port_t a, ferry_port_t b)
{
    return a.rank == b.rank && a.index == b.index && a.gen == b.gen;
}

static int slot_alloc(struct port_rec **out)
{
    uint32_t i = PORT_FIRST_USER;
    while (i < nports && ports[i].alive) i++;
    if (i == nports) {
        if (nports == PORT_ONCE_BIT) return FERRY_ERR_NOMEM;
        if (nports == cap_ports) {
            struct port_rec *p = realloc(ports, 2 * cap_ports * sizeof *p);
            if (!p) return FERRY_ERR_NOMEM;
            ports = p;
            cap_ports *= 2;
            /* An empty queue's tail points at its own head: into the old
             * table, until moved here. */
            for (uint32_t j = 0; j < nports; j++) {
                if (!ports[j].unexpected.head) ports[j].unexpected.tail = &ports[j].unexpected.head;
                if (!ports[j].posted.head) ports[j].posted.tail = &ports[j].posted.head;
            }
        }
        ports[nports++].gen = 1;
    }
    *out = &ports[i];
    return FERRY_OK;
}

int port_alloc_internal(ferry_port_t *port, unsigned qlimit, int once)
{
    struct port_rec *p;
    int rc = slot_alloc(&p);
    if (rc) return rc;
    port_open(p, qlimit);
    p->once = (uint8_t)once;
    *port = name_of(p);
    if (once) port->index |= PORT_ONCE_BIT;
    return FERRY_OK;
}

FERRY_API int ferry_port_alloc(ferry_port_t *port, unsigned qlimit)
{
    LOCKED();
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (!port || qlimit > FERRY_QLIMIT_MAX) return FERRY_ERR_INVALID;
    return port_alloc_internal(port, qlimit ? qlimit : FERRY_QLIMIT_DEFAULT, 0);
}

/* The live port or set named by a right this rank holds. */
static int own(ferry_port_t port, struct port_rec **out)
{
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (port.rank != (uint32_t)ferry_w.rank) return FERRY_ERR_NOT_RECEIVER;
    *out = port_lookup(port.index, port.gen);
    return *out ? FERRY_OK : FERRY_ERR_DEAD_PORT;
}

FERRY_API int ferry_port_destroy(ferry_port_t port)
{
    LOCKED();
    struct port_rec *p;
    int rc = own(port, &p);
    if (rc) return rc;
    if (port_index_of(p) < PORT_FIRST_USER) return FERRY_ERR_INVALID;
    port_close(p, 1);
    return FERRY_OK;
}

FERRY_API int ferry_port_set_qlimit(ferry_port_t port, unsigned qlimit)
{
    LOCKED();
    struct port_rec *p;
    int rc = own(port, &p);
    if (rc) return rc;
    if (qlimit > FERRY_QLIMIT_MAX || p->is_set || port_index_of(p) == PORT_MPI)
        return FERRY_ERR_INVALID;
    p->qlimit = qlimit;
    flow_limit_changed(p);
    return FERRY_OK;
}

FERRY_API int ferry_port_status(ferry_port_t port, ferry_port_status_t *st)
{
    LOCKED();
    struct port_rec *p;
    int rc = own(port, &p);
    if (rc) return rc;
    if (!st) return FERRY_ERR_INVALID;
    *st = (ferry_port_status_t){.queued = p->unexpected.count,
                                .qlimit = p->qlimit,
                                .seqno = p->recv_seq,
                                .in_set = p->set != NO_SET,
                                .set = p->set != NO_SET ? name_of(&ports[p->set]) : FERRY_PORT_NULL,
                                .is_set = p->is_set};
    return FERRY_OK;
}

FERRY_API int ferry_portset_alloc(ferry_port_t *set)
{
    LOCKED();
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (!set) return FERRY_ERR_INVALID;
    struct port_rec *p;
    int rc = slot_alloc(&p);
    if (rc) return rc;
    port_open(p, 0);
    p->is_set = 1;
    *set = name_of(p);
    return FERRY_OK;
}

FERRY_API int ferry_portset_add(ferry_port_t set, ferry_port_t port)
{
    LOCKED();
    struct port_rec *s, *p;
    int rc = own(set, &s);
    if (!rc) rc = own(port, &p);
    if (rc) return rc;
    if (!s->is_set || p->is_set || port_index_of(p) == PORT_MPI) return FERRY_ERR_INVALID;
    if (p->set != NO_SET) return FERRY_ERR_BUSY; /* a port is in one set at most, as in Mach */
    uint32_t *m = realloc(s->members, (s->nmembers + 1) * sizeof *m);
    if (!m) return FERRY_ERR_NOMEM;
    s->members = m;
    m[s->nmembers++] = port_index_of(p);
    p->set = port_index_of(s);
    /* Receives already waiting on the set may take what p holds. */
    set_offer_queued(s, p);
    return FERRY_OK;
}

FERRY_API int ferry_portset_remove(ferry_port_t set, ferry_port_t port)
{
    LOCKED();
    struct port_rec *s, *p;
    int rc = own(set, &s);
    if (!rc) rc = own(port, &p);
    if (rc) return rc;
    if (!s->is_set || p->set != port_index_of(s)) return FERRY_ERR_NOT_FOUND;
    set_remove_member(s, port_index_of(p));
    p->set = NO_SET;
    return FERRY_OK;
}
