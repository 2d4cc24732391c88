#include <stdlib.h>
#include <string.h>

#include "runtime/mpi/coll_internal.h"

#define STEP_PRE   0
#define STEP_FINAL 255

enum { ST_START, ST_WAIT_FINAL, ST_WAIT_PRE, ST_LOOP, ST_LOOP_WAIT, ST_WAIT_LAST, ST_DONE };

static uint32_t op_tag(uint32_t seq, uint32_t round, int step)
{
    return (seq & 0xfffffu) << 12 | (round & 0xfu) << 8 | (uint32_t)step;
}

static int isend_to(struct mpi_comm *c, int peer, uint32_t low, const void *buf, size_t len,
                    struct ferry_request **r)
{
    return port_isend(mpi_port_of(comm_world_rank(c, peer)), coll_tag(c, low), buf, len, 0, r);
}

static int irecv_from(struct mpi_comm *c, int peer, uint32_t low, void *buf, size_t len,
                      struct ferry_request **r)
{
    struct match m = {comm_world_rank(c, peer), coll_tag(c, low), ~0ull};
    return port_irecv(mpi_s.port, &m, buf, len, PORT_RECV_CONSUME, r);
}

/* Reap a finished port request; returns its error as an MPI class. */
static int reap(struct ferry_request **r)
{
    if (!*r) return MPI_SUCCESS;
    return mpi_class_of(ferry_wait(r, NULL));
}

static int pending(struct ferry_request *r)
{
    return r && !r->done;
}

void nba_start(struct nb_allreduce *a, struct mpi_comm *c, uint32_t seq, uint32_t round,
               const int64_t *in, int n, int op)
{
    memset(a, 0, sizeof *a);
    a->c = c;
    a->seq = seq;
    a->round = round;
    a->op = op;
    a->n = n;
    memcpy(a->val, in, (size_t)n * sizeof *in);
    a->state = ST_START;
}

static void combine(struct nb_allreduce *a)
{
    for (int i = 0; i < a->n; i++) {
        int64_t x = a->val[i], y = a->tmp[i];
        a->val[i] = a->op == NBA_MAX ? (x > y ? x : y) : (x < y ? x : y);
    }
}

static int fail(struct nb_allreduce *a, int err)
{
    reap(&a->sr);
    reap(&a->rr);
    a->error = err;
    a->done = 1;
    a->state = ST_DONE;
    return 1;
}

int nba_poll(struct nb_allreduce *a)
{
    int r = a->c->rank, p = a->c->size, rc = 0;
    size_t len = (size_t)a->n * sizeof a->val[0];
    for (;;) {
        switch (a->state) {
        case ST_START:
            if (p == 1) goto done;
            for (a->pof2 = 1; a->pof2 * 2 <= p; a->pof2 *= 2) continue;
            a->rem = p - a->pof2;
            if (r < 2 * a->rem && r % 2 == 0) {
                /* Folded out: give our value, get the result at the end. */
                if ((rc = isend_to(a->c, r + 1, op_tag(a->seq, a->round, STEP_PRE), a->val, len,
                                   &a->sr)) ||
                    (rc = irecv_from(a->c, r + 1, op_tag(a->seq, a->round, STEP_FINAL), a->tmp, len,
                                     &a->rr)))
                    return fail(a, mpi_class_of(rc));
                a->state = ST_WAIT_FINAL;
            } else if (r < 2 * a->rem) {
                if ((rc = irecv_from(a->c, r - 1, op_tag(a->seq, a->round, STEP_PRE), a->tmp, len,
                                     &a->rr)))
                    return fail(a, mpi_class_of(rc));
                a->newrank = r / 2;
                a->state = ST_WAIT_PRE;
            } else {
                a->newrank = r - a->rem;
                a->mask = 1;
                a->state = ST_LOOP;
            }
            break;
        case ST_WAIT_FINAL:
            if (pending(a->sr) || pending(a->rr)) return 0;
            if ((rc = reap(&a->sr)) || (rc = reap(&a->rr))) return fail(a, rc);
            memcpy(a->val, a->tmp, len);
            goto done;
        case ST_WAIT_PRE:
            if (pending(a->rr)) return 0;
            if ((rc = reap(&a->rr))) return fail(a, rc);
            combine(a);
            a->mask = 1;
            a->state = ST_LOOP;
            break;
        case ST_LOOP: {
            if (a->mask >= a->pof2) {
                if (r < 2 * a->rem) {
                    if ((rc = isend_to(a->c, r - 1, op_tag(a->seq, a->round, STEP_FINAL), a->val,
                                       len, &a->sr)))
                        return fail(a, mpi_class_of(rc));
                    a->state = ST_WAIT_LAST;
                    break;
                }
                goto done;
            }
            int np = a->newrank ^ a->mask;
            int peer = np < a->rem ? np * 2 + 1 : np + a->rem;
            int step = __builtin_ctz((unsigned)a->mask) + 1;
            if ((rc = isend_to(a->c, peer, op_tag(a->seq, a->round, step), a->val, len, &a->sr)) ||
                (rc = irecv_from(a->c, peer, op_tag(a->seq, a->round, step), a->tmp, len, &a->rr)))
                return fail(a, mpi_class_of(rc));
            a->state = ST_LOOP_WAIT;
            break;
        }
        case ST_LOOP_WAIT:
            if (pending(a->sr) || pending(a->rr)) return 0;
            if ((rc = reap(&a->sr)) || (rc = reap(&a->rr))) return fail(a, rc);
            combine(a);
            a->mask <<= 1;
            a->state = ST_LOOP;
            break;
        case ST_WAIT_LAST:
            if (pending(a->sr)) return 0;
            if ((rc = reap(&a->sr))) return fail(a, rc);
            goto done;
        case ST_DONE:
            return 1;
        }
    }
done:
    a->state = ST_DONE;
    a->done = 1;
    return 1;
}

struct pair {
    struct ferry_request *s, *r;
};

static int pair_done(void *arg)
{
    struct pair *p = arg;
    return !pending(p->s) && !pending(p->r);
}

/* Send to one peer and receive from another, blocking. */
static int exchange(struct mpi_comm *c, int to, const void *sbuf, int from, void *rbuf, size_t len,
                    uint32_t low)
{
    struct pair p = {NULL, NULL};
    int rc = irecv_from(c, from, low, rbuf, len, &p.r);
    if (rc) return mpi_class_of(rc);
    if ((rc = isend_to(c, to, low, sbuf, len, &p.s))) {
        if (port_recv_cancel(p.r)) req_free(p.r);
        return mpi_class_of(rc);
    }
    mpi_wait_until(pair_done, &p);
    int e1 = reap(&p.s), e2 = reap(&p.r);
    return e1 ? e1 : e2;
}

int coll_allgather_int(struct mpi_comm *c, const int *mine, int n, int *all)
{
    int p = c->size, r = c->rank;
    size_t blk = (size_t)n * sizeof *all;
    /* Bruck's algorithm, log2(p) steps for any p: tmp holds the blocks of
     * ranks r, r+1, ... in that order; at distance d each rank passes the
     * first min(d, p-d) blocks it has to rank r-d and appends those of r+d. */
    int *tmp = malloc((size_t)p * blk);
    if (!tmp) return MPI_ERR_NO_MEM;
    memcpy(tmp, mine, blk);
    uint32_t seq = coll_seq_next(c);
    int rc = MPI_SUCCESS, step = 0;
    for (int d = 1; d < p && !rc; d *= 2, step++) {
        int k = d < p - d ? d : p - d;
        rc = exchange(c, (r - d + p) % p, tmp, (r + d) % p, tmp + (size_t)d * n, (size_t)k * blk,
                      op_tag(seq, 0, step));
    }
    for (int i = 0; i < p && !rc; i++)
        memcpy(all + (size_t)((r + i) % p) * n, tmp + (size_t)i * n, blk);
    free(tmp);
    return rc;
}

int coll_barrier(struct mpi_comm *c)
{
    int p = c->size, r = c->rank;
    uint32_t seq = coll_seq_next(c);
    /* Dissemination: after round k each rank has heard, indirectly, from
     * 2^(k+1) ranks. */
    for (int k = 1, step = 0; k < p; k *= 2, step++) {
        int rc = exchange(c, (r + k) % p, NULL, (r - k + p) % p, NULL, 0, op_tag(seq, 0, step));
        if (rc) return rc;
    }
    return MPI_SUCCESS;
}
