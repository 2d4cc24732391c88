/* A port's two queues: messages that arrived before a receive (unexpected)
 * and receives posted before their message. Both are FIFO; matching takes
 * the first entry that fits, which keeps every sender's order. */
#ifndef FERRY_QUEUE_H
#define FERRY_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "include/ferry.h"
#include "runtime/port/extra.h"
#include "transports/transport.h"

/* Which messages a receive accepts: a source rank (or -1 for any) and tag
 * bits under a mask (mask 0 accepts every tag). */
struct match {
    int32_t src;
    uint64_t tag, mask;
};

#define MATCH_ANY ((struct match){-1, 0, 0})

static inline int match_hdr(const struct match *m, const struct ferry_hdr *h)
{
    return (m->src < 0 || (uint32_t)m->src == h->src) && (h->tag & m->mask) == m->tag;
}

/* An arrived message nobody has received yet. */
struct ferry_msg {
    struct ferry_msg *next;
    struct ferry_hdr h;     /* kind FRAME_EAGER or FRAME_RTS */
    struct ferry_rndv rndv; /* FRAME_RTS: where to pull from */
    struct msg_extra *x;    /* NULL when the message carries nothing else */
    char data[];            /* FRAME_EAGER: h.size bytes */
};

void msg_free(struct ferry_msg *m);

struct msg_queue {
    struct ferry_msg *head, **tail;
    size_t count;
};

void msgq_init(struct msg_queue *q);
void msgq_append(struct msg_queue *q, struct ferry_msg *m);
/* The first message m accepts, left in place; NULL when none. */
struct ferry_msg *msgq_find(struct msg_queue *q, const struct match *m);
void msgq_remove(struct msg_queue *q, struct ferry_msg *m);

struct ferry_request;

struct req_queue {
    struct ferry_request *head, **tail;
};

void reqq_init(struct req_queue *q);
void reqq_append(struct req_queue *q, struct ferry_request *r);
/* Remove and return the first posted receive that accepts h. */
struct ferry_request *reqq_take(struct req_queue *q, const struct ferry_hdr *h);
/* Remove r if it is queued; 1 when it was. */
int reqq_remove(struct req_queue *q, struct ferry_request *r);

#endif
