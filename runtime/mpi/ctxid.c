/* Context ids without a global bottleneck.
 *
 * A context id needs to be unique only among the communicators of each
 * process, and the same at every member. Each process keeps `next`, a
 * bound above every id it has used, and the set of ids it holds. A new
 * communicator's id is agreed over its parent only:
 *
 *   1. propose: allreduce(MAX) of every member's next. The result k is
 *      unused at every member as long as nothing else was agreed on
 *      meanwhile; each member that finds k free reserves it.
 *   2. check: allreduce(MIN) of "k was free here". If a concurrent
 *      agreement (MPI_Comm_idup) took k somewhere first, every member
 *      gives k back, raises next past k and proposes again.
 *
 * Without concurrency the check always passes: two small allreduces per
 * communicator, over the parent's members only. Ids are never reused, so
 * 2^31 communicators can be created over a job's life.
 */
#include <stdlib.h>

#include "runtime/mpi/ctxid.h"

/* Below 2^31 - 1, so context CTX_PENDING is never agreed on. */
#define K_MAX 0x7fffffffu

static struct {
    uint32_t next;
    uint32_t *held;
    size_t n, cap;
} cx;

static int held(uint32_t k)
{
    for (size_t i = 0; i < cx.n; i++)
        if (cx.held[i] == k) return 1;
    return 0;
}

static int hold(uint32_t k)
{
    if (cx.n == cx.cap) {
        size_t cap = cx.cap ? cx.cap * 2 : 16;
        uint32_t *h = realloc(cx.held, cap * sizeof *h);
        if (!h) return MPI_ERR_NO_MEM;
        cx.held = h;
        cx.cap = cap;
    }
    cx.held[cx.n++] = k;
    if (k >= cx.next) cx.next = k + 1;
    return MPI_SUCCESS;
}

static void unhold(uint32_t k)
{
    for (size_t i = 0; i < cx.n; i++)
        if (cx.held[i] == k) {
            cx.held[i] = cx.held[--cx.n];
            return;
        }
}

void ctxid_init(void)
{
    free(cx.held);
    cx.held = NULL;
    cx.n = cx.cap = 0;
    cx.next = 0;
    /* MPI_COMM_WORLD is 0 and MPI_COMM_SELF 1, everywhere. */
    hold(0);
    hold(1);
    if (!cx.held) cx.next = 2;
}

void ctxid_fini(void)
{
    free(cx.held);
    cx.held = NULL;
    cx.n = cx.cap = 0;
}

void ctxid_release(uint32_t ctx)
{
    unhold(ctx / 2);
}

enum { PH_PROPOSE, PH_CHECK };

static void propose(struct ctx_agree *a)
{
    int64_t v = cx.next;
    a->phase = PH_PROPOSE;
    nba_start(&a->ar, a->parent, a->seq, a->round++, &v, 1, NBA_MAX);
}

void ctx_agree_start(struct ctx_agree *a, struct mpi_comm *parent)
{
    a->parent = parent;
    comm_ref(parent);
    a->done = 0;
    a->error = MPI_SUCCESS;
    a->reserved = 0;
    a->seq = coll_seq_next(parent);
    a->round = 0;
    propose(a);
}

static int finish(struct ctx_agree *a, int err)
{
    if (err && a->reserved) unhold(a->k);
    a->error = err;
    a->done = 1;
    comm_unref(a->parent);
    return 1;
}

int ctx_agree_poll(struct ctx_agree *a)
{
    while (!a->done) {
        if (!nba_poll(&a->ar)) return 0;
        if (a->ar.error) return finish(a, a->ar.error);
        if (a->phase == PH_PROPOSE) {
            if (a->ar.val[0] >= (int64_t)K_MAX)
                return finish(a, MPI_ERR_INTERN); /* 2^31 communicators created */
            a->k = (uint32_t)a->ar.val[0];
            int64_t ok = !held(a->k);
            if (ok && hold(a->k)) ok = 0;
            a->reserved = (int)ok;
            a->phase = PH_CHECK;
            nba_start(&a->ar, a->parent, a->seq, a->round++, &ok, 1, NBA_MIN);
            continue;
        }
        if (a->ar.val[0]) {
            a->ctx = a->k * 2;
            return finish(a, MPI_SUCCESS);
        }
        /* Taken somewhere by a concurrent agreement: try above it. */
        if (a->reserved) unhold(a->k);
        a->reserved = 0;
        if (a->k + 1 > cx.next) cx.next = a->k + 1;
        propose(a);
    }
    return 1;
}

static int agree_done(void *arg)
{
    return ctx_agree_poll(arg);
}

int ctx_agree(struct mpi_comm *parent, uint32_t *ctx)
{
    struct ctx_agree a;
    ctx_agree_start(&a, parent);
    mpi_wait_until(agree_done, &a);
    *ctx = a.ctx;
    return a.error;
}
