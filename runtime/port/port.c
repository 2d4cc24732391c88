#include <stdlib.h>

#include "include/ferry.h"
#include "runtime/core/api.h"
#include "runtime/core/world.h"
#include "runtime/port/port.h"
#include "runtime/progress/progress.h"
#include "runtime/progress/request.h"

static struct port_rec *ports;
static uint32_t nports, cap_ports;

static void port_open(struct port_rec *p, unsigned qlimit)
{
    p->alive = 1;
    p->qlimit = qlimit ? qlimit : FERRY_QLIMIT_DEFAULT;
    p->recv_seq = 0;
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
    port_open(&ports[PORT_WELL_KNOWN], 0);
    ports[PORT_MPI].gen = PORT_MPI_GEN;
    port_open(&ports[PORT_MPI], FERRY_QLIMIT_MAX);
    return FERRY_OK;
}

/* Free what a port holds: posted receives fail, queued large messages tell
 * their senders the port is dead so they do not wait forever. */
static void port_close(struct port_rec *p)
{
    struct ferry_request *r;
    while ((r = p->posted.head)) {
        reqq_remove(&p->posted, r);
        req_complete(r, FERRY_ERR_DEAD_PORT);
    }
    struct ferry_msg *m;
    while ((m = p->unexpected.head)) {
        msgq_remove(&p->unexpected, m);
        if (m->h.kind == FRAME_RTS) send_control((int)m->h.src, FRAME_DEAD, m->rndv.cookie);
        free(m);
    }
    p->alive = 0;
    p->gen++;
}

void ports_fini(void)
{
    for (uint32_t i = 0; i < nports; i++)
        if (ports[i].alive) port_close(&ports[i]);
    free(ports);
    ports = NULL;
    nports = cap_ports = 0;
}

struct port_rec *port_lookup(uint32_t index, uint32_t gen)
{
    if (index >= nports) return NULL;
    struct port_rec *p = &ports[index];
    return p->alive && p->gen == gen ? p : NULL;
}

struct port_rec *port_lookup_index(uint32_t index)
{
    return index < nports && ports[index].alive ? &ports[index] : NULL;
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

FERRY_API int ferry_port_alloc(ferry_port_t *port, unsigned qlimit)
{
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (!port || qlimit > FERRY_QLIMIT_MAX) return FERRY_ERR_INVALID;
    uint32_t i = PORT_FIRST_USER;
    while (i < nports && ports[i].alive) i++;
    if (i == nports) {
        if (nports == cap_ports) {
            struct port_rec *p = realloc(ports, 2 * cap_ports * sizeof *p);
            if (!p) return FERRY_ERR_NOMEM;
            ports = p;
            cap_ports *= 2;
        }
        ports[nports++].gen = 1;
    }
    port_open(&ports[i], qlimit);
    *port = (ferry_port_t){(uint32_t)ferry_w.rank, i, ports[i].gen};
    return FERRY_OK;
}

FERRY_API int ferry_port_destroy(ferry_port_t port)
{
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    if (port.rank != (uint32_t)ferry_w.rank) return FERRY_ERR_NOT_RECEIVER;
    if (port.index < PORT_FIRST_USER) return FERRY_ERR_INVALID;
    struct port_rec *p = port_lookup(port.index, port.gen);
    if (!p) return FERRY_ERR_DEAD_PORT;
    port_close(p);
    return FERRY_OK;
}
