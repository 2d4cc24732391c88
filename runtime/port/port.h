/* This rank's port table: the ports it holds receive rights for. Slot 0 is
 * the well-known port. A slot's generation grows each time it is freed, so a
 * name of a destroyed port never matches its successor. */
#ifndef FERRY_PORT_H
#define FERRY_PORT_H

#include <stdint.h>

#include "include/ferry.h"
#include "runtime/port/queue.h"

#define PORT_WELL_KNOWN     0
#define PORT_WELL_KNOWN_GEN 1
/* Slot 1: the port the MPI layer receives on, separate so native receives
 * on the well-known port never take MPI traffic. */
#define PORT_MPI        1
#define PORT_MPI_GEN    1
#define PORT_FIRST_USER 2

struct flow_rx;
struct watch;

struct port_rec {
    uint32_t gen;
    uint8_t alive;
    uint8_t is_set; /* a port set: receives take from its members */
    uint8_t once;   /* a reply port: accepts one message beyond any limit */
    unsigned qlimit;
    uint32_t queued;   /* messages in the queue that hold a credit */
    uint32_t set;      /* index of the set this port is in, or NO_SET */
    uint64_t recv_seq; /* messages taken by receives so far */
    struct msg_queue unexpected;
    struct req_queue posted;
    struct flow_rx *rx;     /* credit accounting, made on the first request */
    struct watch *watchers; /* who wants to hear that this port died */
    /* A set's members, and where the next round-robin scan starts. */
    uint32_t *members;
    uint32_t nmembers, rr;
};

#define NO_SET UINT32_MAX

int ports_init(void);
void ports_fini(void);
/* The live port (index, gen) of this rank, or NULL. */
struct port_rec *port_lookup(uint32_t index, uint32_t gen);
/* The live port in slot index, whatever its generation, or NULL. */
struct port_rec *port_lookup_index(uint32_t index);
struct port_rec *port_at(uint32_t index);
uint32_t port_index_of(const struct port_rec *p);
/* once: a single-use reply port, whose name carries PORT_ONCE_BIT. */
int port_alloc_internal(ferry_port_t *port, unsigned qlimit, int once);
void names_fini(void);
/* Dead-name notifications (watch.c): the owner's and the watcher's side. */
void watch_add(struct port_rec *p, uint32_t index, uint32_t gen, uint32_t watcher);
void watch_port_closed(struct port_rec *p, uint32_t index, uint32_t gen, int tell);
void watch_on_fired(const struct ferry_hdr *h);
void watch_rank_died(uint32_t rank);
void watch_fini(void);
/* A rank of the job has exited: its ports are dead to this rank (death.c). */
void peer_died(int rank);
/* A set got a new member: its waiting receives may take the member's queue. */
void set_offer_queued(struct port_rec *set, struct port_rec *member);

/* A name with this bit in its index is a send-once right to a reply port:
 * sends to it need no credit, and the port takes one message. */
#define PORT_ONCE_BIT 0x80000000u

/* Sends and receives with match bits: the native API uses them with tag 0
 * and any-match; the MPI layer puts (context, tag) in the tag and matches on
 * source and tag. A message's tag reaches the receiver as status.id. */
#define PORT_SEND_SYNC    1u /* complete only once a receive took the message */
#define PORT_SEND_FREE    2u /* needs no credit (notifications, as Mach's send-once) */
#define PORT_RECV_CONSUME 1u /* a truncated message is consumed (MPI), not kept */
#define PORT_RECV_PORTS   2u /* deliver port names into r->ports (room r->ports_cap) */
#define PORT_RECV_IOV     4u /* buf is a struct port_iov: land the bytes in its regions */
/* A receive's scattered buffer (PORT_RECV_IOV; cap is the regions' total):
 * the message lands in the regions in order, in one copy (memcpy from an
 * eager frame, or the transport's pull with the regions as its local side).
 * It and the array stay the caller's until the receive is done. */
struct port_iov {
    const struct iovec *iov;
    uint32_t n;
};
int port_isend(ferry_port_t dest, uint64_t tag, const void *buf, size_t len, unsigned flags,
               struct ferry_request **out);
int port_send(ferry_port_t dest, uint64_t tag, const void *buf, size_t len, unsigned flags);
/* A send of len bytes left scattered in iovcnt regions (the array stays
 * the caller's until the send is done), which the receiver pulls in one
 * copy. Only where port_sendv_ok says so; FERRY_ERR_INVALID elsewhere. */
struct iovec;
int port_sendv_ok(ferry_port_t dest, size_t len);
int port_isendv(ferry_port_t dest, uint64_t tag, const struct iovec *iov, uint32_t iovcnt,
                size_t len, unsigned flags, struct ferry_request **out);
int port_irecv(ferry_port_t port, const struct match *m, void *buf, size_t cap, unsigned flags,
               struct ferry_request **out);
int port_recv(ferry_port_t port, const struct match *m, void *buf, size_t cap, unsigned flags,
              ferry_status_t *status, int timeout_ms);
/* Withdraw a posted receive; 1 when it was still posted (then it is not
 * completed: the caller frees it), 0 when it already matched. */
int port_recv_cancel(struct ferry_request *r);
/* Whether a matching message is queued (*flag), and its status. */
int port_iprobe(ferry_port_t port, const struct match *m, int *flag, ferry_status_t *st);
/* Take the first matching message out of the queue (NULL when none): only
 * port_imrecv can then receive it. */
int port_improbe(ferry_port_t port, const struct match *m, struct ferry_msg **msg,
                 ferry_status_t *st);
int port_imrecv(struct ferry_msg *msg, void *buf, size_t cap, struct ferry_request **out);

/* Frames from transports enter the runtime here (frame.c). */
void frame_arrived(const struct ferry_hdr *h, const void *payload, size_t len);
/* Give a matched message to a receive: copy it or start pulling it.
 * Returns 0 when the message did not fit and stays queued (the receive then
 * failed with FERRY_ERR_TRUNCATE), 1 when the receive took it. */
int deliver_to_request(struct ferry_request *r, const struct ferry_hdr *h,
                       const struct ferry_rndv *rndv, const void *data, const struct msg_extra *x);
/* A receive took a message of p (was_queued: out of p's queue). */
void msg_taken(struct port_rec *p, const struct ferry_hdr *h, int was_queued);
void cancel_large_send(struct port_rec *p, uint32_t src, uint64_t cookie);
/* Complete pulls whose bytes have landed; returns how many. */
int pulls_progress(void);
int pulls_active(void);

/* Queue or send a frame to a peer in order (send.c). */
int send_frame(struct ferry_request *r);
int send_control(int peer, uint16_t kind, uint64_t cookie);
/* A control frame with up to 32 bytes of payload (copied). */
int send_control_hdr(int peer, const struct ferry_hdr *h, const void *payload, size_t len);
/* A notification message (id, body: the port concerned) that needs no
 * credit and never waits. */
void send_notification(ferry_port_t to, uint64_t id, ferry_port_t about);
int pending_progress(void);
int pending_active(void);

#endif
