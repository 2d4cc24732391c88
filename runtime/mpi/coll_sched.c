/* The schedule engine: building rounds of steps, advancing them from the
 * background hook, and running a schedule blocking or as a request. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/mpi/coll_internal.h"
#include "runtime/mpi/coll_sched.h"

static int cs_poll(struct mpi_sched *b);
static int cs_finish(struct mpi_sched *b);

/* Grow an array that may start in the schedule itself (at inl). */
static int grow(void **p, size_t *cap, size_t need, size_t each, void *inl)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap * 2 : 8;
    while (n < need) n *= 2;
    void *q = *p == inl ? malloc(n * each) : realloc(*p, n * each);
    if (!q) return -1;
    if (*p == inl && inl) memcpy(q, inl, *cap * each);
    *p = q;
    *cap = n;
    return 0;
}

struct coll_sched *cs_new(struct mpi_comm *c)
{
    struct coll_sched *s = malloc(sizeof *s);
    if (!s) return NULL;
    /* Everything but the inline arrays, which need no clearing. */
    memset(s, 0, offsetof(struct coll_sched, in_steps));
    s->steps = s->in_steps;
    s->cap = sizeof s->in_steps / sizeof s->in_steps[0];
    s->rend = s->in_rend;
    s->rcap = sizeof s->in_rend / sizeof s->in_rend[0];
    s->mem = s->in_mem;
    s->memcap = sizeof s->in_mem / sizeof s->in_mem[0];
    s->c = c;
    comm_ref(c);
    s->tag = coll_seq_next(c) << 12;
    s->bg.poll = cs_poll;
    s->bg.finish = cs_finish;
    return s;
}

void *cs_alloc(struct coll_sched *s, size_t len)
{
    if (s->error) return NULL;
    void *p = malloc(len ? len : 1);
    if (!p || grow((void **)&s->mem, &s->memcap, s->nmem + 1, sizeof *s->mem, s->in_mem)) {
        free(p);
        s->error = MPI_ERR_NO_MEM;
        return NULL;
    }
    s->mem[s->nmem++] = p;
    return p;
}

void cs_hold(struct coll_sched *s, struct mpi_dtype *t)
{
    if (s->error || t->predefined) return;
    if (grow((void **)&s->held, &s->heldcap, s->nheld + 1, sizeof *s->held, NULL)) {
        s->error = MPI_ERR_NO_MEM;
        return;
    }
    dtype_ref(t);
    s->held[s->nheld++] = t;
}

void cs_set_op(struct coll_sched *s, struct mpi_op *o, struct mpi_dtype *t)
{
    s->op = o;
    op_ref(o);
    s->rdt = t;
    cs_hold(s, t);
}

static struct cs_step *add(struct coll_sched *s, enum cs_kind kind)
{
    if (s->error) return NULL;
    if (grow((void **)&s->steps, &s->cap, s->nsteps + 1, sizeof *s->steps, s->in_steps)) {
        s->error = MPI_ERR_NO_MEM;
        return NULL;
    }
    struct cs_step *st = &s->steps[s->nsteps++];
    memset(st, 0, sizeof *st);
    st->kind = (uint8_t)kind;
    return st;
}

void cs_send_sub(struct coll_sched *s, int peer, const void *buf, size_t len, unsigned sub)
{
    struct cs_step *st = add(s, CS_SEND);
    if (!st) return;
    st->peer = peer;
    st->src = buf;
    st->len = len;
    st->sub = (uint16_t)(sub & 0xfff);
}

void cs_recv_sub(struct coll_sched *s, int peer, void *buf, size_t len, unsigned sub)
{
    struct cs_step *st = add(s, CS_RECV);
    if (!st) return;
    st->peer = peer;
    st->dst = buf;
    st->len = len;
    st->sub = (uint16_t)(sub & 0xfff);
}

void cs_send(struct coll_sched *s, int peer, const void *buf, size_t len)
{
    cs_send_sub(s, peer, buf, len, 0);
}

void cs_recv(struct coll_sched *s, int peer, void *buf, size_t len)
{
    cs_recv_sub(s, peer, buf, len, 0);
}

void cs_copy(struct coll_sched *s, void *dst, const void *src, size_t len)
{
    if (!len || dst == src) return;
    struct cs_step *st = add(s, CS_COPY);
    if (!st) return;
    st->dst = dst;
    st->src = src;
    st->len = len;
}

void cs_reduce(struct coll_sched *s, const void *in, void *inout, size_t count)
{
    if (!count) return;
    struct cs_step *st = add(s, CS_REDUCE);
    if (!st) return;
    st->src = in;
    st->dst = inout;
    st->count = count;
}

void cs_round(struct coll_sched *s)
{
    if (s->error) return;
    size_t last = s->nrounds ? s->rend[s->nrounds - 1] : 0;
    if (last == s->nsteps) return; /* nothing since the last round */
    if (grow((void **)&s->rend, &s->rcap, s->nrounds + 1, sizeof *s->rend, s->in_rend)) {
        s->error = MPI_ERR_NO_MEM;
        return;
    }
    s->rend[s->nrounds++] = s->nsteps;
}

const void *cs_in(struct coll_sched *s, struct mpi_dtype *t, size_t count, const void *buf)
{
    const void *p;
    if (dt_span(t, (int)count, buf, &p)) return p;
    void *tmp = cs_alloc(s, count * (size_t)t->size);
    struct cs_step *st = tmp ? add(s, CS_PACK) : NULL;
    if (!st) return NULL;
    cs_hold(s, t);
    st->dt = t;
    st->count = count;
    st->src = buf;
    st->dst = tmp;
    return tmp;
}

void *cs_out(struct coll_sched *s, struct mpi_dtype *t, size_t count, void *buf)
{
    const void *p;
    if (dt_span(t, (int)count, buf, &p)) return (void *)p;
    return cs_alloc(s, count * (size_t)t->size);
}

void cs_out_done(struct coll_sched *s, struct mpi_dtype *t, size_t count, void *packed, void *buf)
{
    const void *p;
    if (dt_span(t, (int)count, buf, &p) || !count) return;
    struct cs_step *st = add(s, CS_UNPACK);
    if (!st) return;
    cs_hold(s, t);
    st->dt = t;
    st->count = count;
    st->src = packed;
    st->dst = buf;
}

/* --- running --- */

static int is_msg(const struct cs_step *st)
{
    return st->kind == CS_SEND || st->kind == CS_RECV;
}

static int post(struct coll_sched *s, struct cs_step *st)
{
    int w = comm_world_rank(s->c, st->peer);
    uint64_t tag = coll_tag(s->c, s->tag | st->sub);
    if (st->kind == CS_SEND)
        return mpi_class_of(port_isend(mpi_port_of(w), tag, st->src, st->len, 0, &st->fr));
    struct match m = {w, tag, ~0ull};
    return mpi_class_of(port_irecv(mpi_s.port, &m, st->dst, st->len, PORT_RECV_CONSUME, &st->fr));
}

/* Withdraw or finish every message of the current round (after an error,
 * or when MPI_Finalize sweeps an unfinished schedule away). */
static void drain(struct coll_sched *s)
{
    size_t end = s->rend[s->round];
    for (size_t i = s->rstart; i < end; i++) {
        struct cs_step *st = &s->steps[i];
        if (!st->fr) continue;
        if (st->kind == CS_RECV && !st->fr->done && port_recv_cancel(st->fr)) {
            req_free(st->fr);
            st->fr = NULL;
            continue;
        }
        ferry_wait(&st->fr, NULL);
    }
}

static int local(struct coll_sched *s, struct cs_step *st)
{
    switch (st->kind) {
    case CS_COPY:
        memmove(st->dst, st->src, st->len);
        return MPI_SUCCESS;
    case CS_REDUCE:
        return op_apply(s->op, s->rdt, st->src, st->dst, st->count);
    case CS_PACK:
        dt_pack(st->dt, (MPI_Count)st->count, st->src, st->dst);
        return MPI_SUCCESS;
    case CS_UNPACK:
        dt_unpack(st->dt, (MPI_Count)st->count, st->src, (MPI_Count)st->count * st->dt->size,
                  st->dst);
        return MPI_SUCCESS;
    }
    return MPI_SUCCESS;
}

static int cs_poll(struct mpi_sched *b)
{
    struct coll_sched *s = (struct coll_sched *)b;
    while (s->round < s->nrounds && !s->error) {
        size_t end = s->rend[s->round];
        if (!s->posted) {
            s->posted = 1;
            /* Packing reads only the user's buffers: it runs before the
             * round's messages, so a round may send what it packs. */
            for (size_t i = s->rstart; i < end && !s->error; i++)
                if (s->steps[i].kind == CS_PACK) s->error = local(s, &s->steps[i]);
            for (size_t i = s->rstart; i < end && !s->error; i++)
                if (is_msg(&s->steps[i])) s->error = post(s, &s->steps[i]);
            if (s->error) break;
        }
        for (size_t i = s->rstart; i < end; i++)
            if (s->steps[i].fr && !s->steps[i].fr->done) return 0;
        for (size_t i = s->rstart; i < end; i++) {
            struct cs_step *st = &s->steps[i];
            if (st->fr) {
                int e = mpi_class_of(ferry_wait(&st->fr, NULL));
                if (e && !s->error) s->error = e;
            }
        }
        for (size_t i = s->rstart; i < end && !s->error; i++)
            if (!is_msg(&s->steps[i]) && s->steps[i].kind != CS_PACK)
                s->error = local(s, &s->steps[i]);
        if (s->error) break;
        s->rstart = end;
        s->round++;
        s->posted = 0;
    }
    if (s->error && s->round < s->nrounds) {
        drain(s);
        s->round = s->nrounds;
    }
    return 1;
}

static void cs_free(struct coll_sched *s)
{
    for (size_t i = 0; i < s->nmem; i++) free(s->mem[i]);
    for (size_t i = 0; i < s->nheld; i++) dtype_unref(s->held[i]);
    if (s->op) op_unref(s->op);
    comm_unref(s->c);
    if (s->mem != s->in_mem) free(s->mem);
    free(s->held);
    if (s->steps != s->in_steps) free(s->steps);
    if (s->rend != s->in_rend) free(s->rend);
    free(s);
}

static int cs_finish(struct mpi_sched *b)
{
    struct coll_sched *s = (struct coll_sched *)b;
    if (s->round < s->nrounds) drain(s); /* unfinished: MPI_Finalize */
    int err = s->error;
    cs_free(s);
    return err;
}

static int sched_done(void *arg)
{
    return ((struct coll_sched *)arg)->bg.done;
}

/* Start s: its first rounds run at once; what is left waits in the
 * background hook. */
static void start(struct coll_sched *s)
{
    cs_round(s);
    if (cs_poll(&s->bg)) {
        s->bg.done = 1;
        return;
    }
    bg_add(&s->bg);
}

int cs_run(struct coll_sched *s, MPI_Request *req, const char *fn)
{
    struct mpi_comm *c = s->c;
    int rc;
    if (s->error) {
        rc = s->error;
        comm_ref(c);
        cs_free(s);
        rc = mpi_err(c, rc, fn, "out of memory");
        comm_unref(c);
        return rc;
    }
    if (req) {
        struct mpi_req *r = mreq_new(MR_SCHED, c);
        if (!r) {
            cs_free(s);
            return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
        }
        r->sched = &s->bg;
        start(s);
        if ((rc = mreq_publish(r, req))) {
            if (!s->bg.done) mpi_wait_until(sched_done, s);
            mreq_finish(r, NULL);
            mreq_free(r);
            return mpi_err(c, rc, fn, "out of memory");
        }
        return MPI_SUCCESS;
    }
    start(s);
    if (!s->bg.done) mpi_wait_until(sched_done, s);
    comm_ref(c);
    rc = s->error;
    cs_free(s);
    if (rc) rc = p2p_raise(c, rc, fn, NULL);
    comm_unref(c);
    return rc;
}
