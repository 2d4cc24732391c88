/* Flow control for bounded ports, with credits.
 *
 * A port's queue limit bounds the messages waiting in its queue. A sender
 * may send to a bounded port only while it holds credits for it; it asks
 * the receiver for some on first contact and whenever it runs out, and the
 * receiver hands credits freed by receives back to the senders that used
 * them, so a steady stream costs no round trip per message. Credits a
 * sender holds but does not use are recalled when another sender waits.
 * A port with limit 0 tells its senders to send synchronously: a send then
 * completes only when a receive takes the message. */
#ifndef FERRY_FLOW_H
#define FERRY_FLOW_H

#include <stdint.h>

#include "include/ferry.h"
#include "runtime/port/queue.h"
#include "transports/transport.h"

/* Frame kinds of the protocol (continuing enum frame_kind). hdr.port and
 * hdr.gen name the port; hdr.size carries a count. */
enum flow_frame {
    FRAME_CREDIT_REQ = 16, /* sender: I need credits */
    FRAME_CREDIT,          /* receiver: hdr.size more credits; flags FLOW_SYNC/FLOW_ASYNC */
    FRAME_RECALL,          /* receiver: give back what you do not use */
    FRAME_CREDIT_RETURN,   /* sender: hdr.size credits returned */
    FRAME_PORT_DEAD,       /* receiver: the port is destroyed */
    FRAME_ROOM,            /* receiver: your notify-mode message was taken */
    FRAME_CANCEL,          /* sender: withdraw the large send hdr.tag (cookie) */
    FRAME_CANCELLED,       /* receiver: it was withdrawn before any receive took it */
    FRAME_WATCH,           /* anyone: tell me when this port dies */
    FRAME_WATCH_FIRED,     /* owner: the port you watch died */
};

/* Frame flags (hdr.flags). */
#define FLOW_SYNC   1u  /* CREDIT: the port has limit 0: send synchronously */
#define FLOW_ASYNC  2u  /* CREDIT: the limit is no longer 0 */
#define MSG_CREDIT  4u  /* a message sent with a credit */
#define MSG_NOTIFY  8u  /* a message accepted beyond the limit (notify mode) */
#define MSG_TRAILER 16u /* the payload ends with a reply port and port names */
#define FLOW_PROBE  32u /* CREDIT_REQ: answer now, with 0 credits if full */
#define FLOW_REPLY  64u /* CREDIT: the answer to a CREDIT_REQ (others are returns) */

/* What a sender knows about one destination port. */
struct dest {
    uint32_t rank, index, gen;
    uint8_t bounded;        /* 0 for the MPI port: no flow control */
    uint8_t requested;      /* a credit request is outstanding */
    uint8_t dead;           /* the receiver said the port is destroyed */
    uint8_t sync;           /* the port has limit 0 */
    uint8_t notify_pending; /* a notify-mode message is outstanding */
    uint32_t credits;
    uint64_t next_seq;
    ferry_port_t notify;    /* where the pending notify-mode message's notice goes */
    struct req_queue waitq; /* sends waiting for credits, in order */
};

/* The state for a destination, created on first use (NULL: out of memory).
 * The send path passes the name's words: a 12-byte name by value is often
 * spilled as 4+4+4 bytes and reloaded as 8+4, a store-forwarding stall. */
struct dest *dest_at(uint32_t rank, uint32_t index, uint32_t gen);

static inline struct dest *dest_get(ferry_port_t d)
{
    return dest_at(d.rank, d.index, d.gen);
}
void dest_fini(void);
/* A rank died: every dest of it is dead, and what waits for credits fails. */
void dest_rank_died(uint32_t rank);

/* Ask for credits unless a request is outstanding; a probe is answered at
 * once, with no credits when the port is full. */
int flow_request(struct dest *e, int probe);
/* Send waiting sends while credits last. */
void flow_drain(struct dest *e);
/* send.c: r holds a credit (or needs none): stamp and send it. */
void send_admitted(struct dest *e, struct ferry_request *r);

/* Sender side: a frame of the protocol arrived. */
void flow_on_sender_frame(const struct ferry_hdr *h, const void *payload, size_t len);
/* Receiver side. */
void flow_on_receiver_frame(const struct ferry_hdr *h, const void *payload, size_t len);

struct port_rec;
/* A message with MSG_CREDIT from src arrived at p; 0 when it broke the
 * protocol (no credit outstanding) and must be dropped. */
int flow_on_arrival(struct port_rec *p, uint32_t src);
/* A credit-bearing message from src left p's queue, or never entered it. */
void flow_credit_freed(struct port_rec *p, uint32_t src);
/* A notify-mode message from src was taken by a receive. */
void flow_notify_taken(struct port_rec *p, uint32_t src);
/* The port's limit changed, or it died: tell senders. */
void flow_limit_changed(struct port_rec *p);
void flow_port_closed(struct port_rec *p, uint32_t index);
void flow_port_free(struct port_rec *p);

#endif
