#include <stdlib.h>

#include "runtime/port/queue.h"
#include "runtime/progress/request.h"

void msgq_init(struct msg_queue *q)
{
    q->head = NULL;
    q->tail = &q->head;
    q->count = 0;
}

void msgq_append(struct msg_queue *q, struct ferry_msg *m)
{
    m->next = NULL;
    *q->tail = m;
    q->tail = &m->next;
    q->count++;
}

struct ferry_msg *msgq_find(struct msg_queue *q, const struct match *mt)
{
    for (struct ferry_msg *m = q->head; m; m = m->next)
        if (match_hdr(mt, &m->h)) return m;
    return NULL;
}

void msgq_remove(struct msg_queue *q, struct ferry_msg *m)
{
    for (struct ferry_msg **pp = &q->head; *pp; pp = &(*pp)->next) {
        if (*pp != m) continue;
        *pp = m->next;
        if (q->tail == &m->next) q->tail = pp;
        q->count--;
        return;
    }
}

void reqq_init(struct req_queue *q)
{
    q->head = NULL;
    q->tail = &q->head;
}

void reqq_append(struct req_queue *q, struct ferry_request *r)
{
    r->next = NULL;
    *q->tail = r;
    q->tail = &r->next;
}

static void unlink_at(struct req_queue *q, struct ferry_request **pp)
{
    struct ferry_request *r = *pp;
    *pp = r->next;
    if (q->tail == &r->next) q->tail = pp;
    r->next = NULL;
}

struct ferry_request *reqq_take(struct req_queue *q, const struct ferry_hdr *h)
{
    for (struct ferry_request **pp = &q->head; *pp; pp = &(*pp)->next) {
        if (!match_hdr(&(*pp)->m, h)) continue;
        struct ferry_request *r = *pp;
        unlink_at(q, pp);
        return r;
    }
    return NULL;
}

int reqq_remove(struct req_queue *q, struct ferry_request *r)
{
    for (struct ferry_request **pp = &q->head; *pp; pp = &(*pp)->next) {
        if (*pp != r) continue;
        unlink_at(q, pp);
        return 1;
    }
    return 0;
}

void msg_free(struct ferry_msg *m)
{
    /* Extras still here were not handed to a receive: release them. */
    extra_free(m->x, 1);
    free(m);
}
