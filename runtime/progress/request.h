/* Requests: the state of one send, receive or internal control frame until
 * it completes. */
#ifndef FERRY_REQUEST_H
#define FERRY_REQUEST_H

#include <stdint.h>

#include "include/ferry.h"
#include "runtime/port/queue.h"
#include "transports/transport.h"

enum req_kind { REQ_SEND, REQ_RECV, REQ_CTRL };

struct ferry_request {
    struct ferry_request *next; /* in a posted, pending or pulling list */
    uint8_t kind;
    uint8_t done;
    uint8_t internal; /* freed by the runtime when done, never seen by the user */
    uint8_t flags;    /* PORT_RECV_* */
    uint8_t mode;     /* send: enum ferry_send_mode */
    int error;
    ferry_status_t status;

    /* Send and control: the frame, kept until the transport takes it. */
    int peer;
    struct ferry_hdr hdr;
    const void *payload;
    size_t plen;
    struct ferry_rndv rndv; /* a large send's descriptor (the RTS payload) */
    void *owned;            /* payload storage the request owns (freed with it) */
    const void *body;       /* send: the body, until the frame is built */
    size_t blen;
    uint32_t iovcnt;           /* send: body is iovcnt struct iovec holding blen bytes */
    const struct msg_extra *x; /* send: reply port and names (owned) */
    uint64_t cookie;           /* large send: key in the rendezvous table */

    /* Receive. */
    void *buf;
    size_t cap;
    ferry_port_t reply;      /* the message's reply port */
    ferry_port_t *ports;     /* where port names go (ferry_msg_recv) */
    uint32_t ports_cap;      /* room there */
    uint32_t nports;         /* how many came */
    ferry_region_t *regions; /* where out-of-line regions go */
    uint32_t regions_cap;
    uint32_t nregions; /* how many came (handed over when the receive succeeded) */
    uint32_t port;
    struct match m;
    struct ferry_pull pull;
    /* Regions pulled from another node, one pull each, into these blocks. */
    struct ferry_pull *xpulls;
    uint64_t *xoffs;
    uint32_t nxpulls;
};

struct ferry_request *req_alloc(enum req_kind kind);
/* The one completed send request, shared by every send finished on the
 * spot; never freed nor written (req_free and req_complete ignore it). */
struct ferry_request *req_sent(void);
void req_free(struct ferry_request *r);
/* Mark done; internal requests are freed here. */
void req_complete(struct ferry_request *r, int error);
void req_cache_free(void);

/* Large sends awaiting their FIN, by cookie. */
uint64_t rndv_register(struct ferry_request *r);
struct ferry_request *rndv_lookup(uint64_t cookie);
void rndv_unregister(uint64_t cookie);
void rndv_table_free(void);
/* Complete every large send to rank still waiting for its FIN. */
void rndv_fail_peer(int rank, int error);

#endif
