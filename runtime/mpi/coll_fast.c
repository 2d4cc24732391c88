/* Short blocking collectives posted straight on the collective context:
 * see coll_fast.h. A "round" here is what it is in a schedule: messages
 * posted together, waited for together, then local work. */
#include <stdlib.h>
#include <string.h>

#include "runtime/mpi/coll_fast.h"
#include "runtime/mpi/coll_internal.h"
#include "runtime/mpi/mreq.h"

/* The most messages one round of these algorithms posts at once (the
 * flat algorithms' root posts p - 1; larger communicators wait in
 * batches, which changes no matching order). */
#define CF_ROUND 16

struct cf {
    struct mpi_comm *c;
    uint64_t tag;
    int n, err;
    struct ferry_request *fr[CF_ROUND];
};

static void cf_begin(struct cf *f, struct mpi_comm *c)
{
    f->c = c;
    f->tag = coll_tag(c, coll_seq_next(c) << 12);
    f->n = 0;
    f->err = MPI_SUCCESS;
}

static int cf_all_done(void *arg)
{
    struct cf *f = arg;
    for (int i = 0; i < f->n; i++)
        if (f->fr[i] && !f->fr[i]->done) return 0;
    return 1;
}

/* Wait for the round's messages and reap them; after a failed post,
 * withdraw the receives that cannot finish. Returns the error so far. */
static int cf_wait(struct cf *f)
{
    if (f->err) {
        for (int i = 0; i < f->n; i++) {
            struct ferry_request *r = f->fr[i];
            if (r && !r->done && port_recv_cancel(r)) {
                req_free(r);
                f->fr[i] = NULL;
            }
        }
    }
    if (!cf_all_done(f)) mpi_wait_until(cf_all_done, f);
    for (int i = 0; i < f->n; i++) {
        if (!f->fr[i]) continue;
        int e = mpi_class_of(ferry_wait(&f->fr[i], NULL));
        if (e && !f->err) f->err = e;
    }
    f->n = 0;
    return f->err;
}

static void cf_post(struct cf *f, int peer, int send, void *buf, size_t len)
{
    if (f->err) return;
    if (f->n == CF_ROUND && cf_wait(f)) return;
    struct ferry_request **r = &f->fr[f->n];
    int w = comm_world_rank(f->c, peer), rc;
    if (send) {
        rc = port_isend(mpi_port_of(w), f->tag, buf, len, 0, r);
    } else {
        struct match m = {w, f->tag, ~0ull};
        rc = port_irecv(mpi_s.port, &m, buf, len, PORT_RECV_CONSUME, r);
    }
    if (rc) {
        *r = NULL;
        f->err = mpi_class_of(rc);
        return;
    }
    f->n++;
}

static void cf_send(struct cf *f, int peer, const void *buf, size_t len)
{
    cf_post(f, peer, 1, (void *)buf, len);
}

static void cf_recv(struct cf *f, int peer, void *buf, size_t len)
{
    cf_post(f, peer, 0, buf, len);
}

int cf_raise(struct mpi_comm *c, int rc, const char *fn)
{
    if (!rc) return MPI_SUCCESS;
    comm_ref(c);
    rc = p2p_raise(c, rc, fn, NULL);
    comm_unref(c);
    return rc;
}

int cf_barrier_dissemination(struct mpi_comm *c)
{
    struct cf f;
    cf_begin(&f, c);
    int n = c->size, r = c->rank;
    for (int k = 1; k < n && !f.err; k *= 2) {
        cf_send(&f, (r + k) % n, NULL, 0);
        cf_recv(&f, (r - k + n) % n, NULL, 0);
        cf_wait(&f);
    }
    return f.err;
}

int cf_barrier_flat(struct mpi_comm *c)
{
    struct cf f;
    cf_begin(&f, c);
    if (c->rank) {
        cf_send(&f, 0, NULL, 0);
        cf_recv(&f, 0, NULL, 0);
        return cf_wait(&f);
    }
    for (int i = 1; i < c->size; i++) cf_recv(&f, i, NULL, 0);
    if (cf_wait(&f)) return f.err;
    for (int i = 1; i < c->size; i++) cf_send(&f, i, NULL, 0);
    return cf_wait(&f);
}

int cf_bcast_binomial(struct mpi_comm *c, int root, void *buf, size_t len)
{
    struct cf f;
    cf_begin(&f, c);
    int n = c->size, rel = (c->rank - root + n) % n, mask = 1;
    for (; mask < n; mask <<= 1)
        if (rel & mask) {
            cf_recv(&f, (rel - mask + root) % n, buf, len);
            break;
        }
    if (cf_wait(&f)) return f.err;
    for (mask >>= 1; mask > 0; mask >>= 1)
        if (rel + mask < n) cf_send(&f, (rel + mask + root) % n, buf, len);
    return cf_wait(&f);
}

/* The fold of a non-power-of-two p, as coll_allreduce.c's: ranks 2i
 * (i < rem) hand their elements to 2i+1 and get the result at the end. */
static int fold_peer(int rem, int newrank)
{
    return newrank < rem ? newrank * 2 + 1 : newrank + rem;
}

int cf_allreduce_rd(struct mpi_comm *c, struct mpi_op *o, struct mpi_dtype *t, void *buf,
                    size_t count)
{
    struct cf f;
    cf_begin(&f, c);
    size_t len = count * (size_t)t->size;
    char tmp[CF_MAX_BYTES];
    int pof2 = 1, me = c->rank, newrank;
    while (pof2 * 2 <= c->size) pof2 *= 2;
    int rem = c->size - pof2;
    if (me < 2 * rem && me % 2 == 0) {
        cf_send(&f, me + 1, buf, len);
        newrank = -1;
    } else if (me < 2 * rem) {
        cf_recv(&f, me - 1, tmp, len);
        if (!cf_wait(&f)) f.err = op_apply(o, t, tmp, buf, count);
        newrank = me / 2;
    } else {
        newrank = me - rem;
    }
    if (cf_wait(&f)) return f.err;
    for (int mask = 1; newrank >= 0 && mask < pof2; mask <<= 1) {
        int np = newrank ^ mask, peer = fold_peer(rem, np);
        cf_send(&f, peer, buf, len);
        cf_recv(&f, peer, tmp, len);
        if (cf_wait(&f)) return f.err;
        if (np < newrank || o->commute) {
            f.err = op_apply(o, t, tmp, buf, count);
        } else {
            f.err = op_apply(o, t, buf, tmp, count);
            memcpy(buf, tmp, len);
        }
        if (f.err) return f.err;
    }
    if (me < 2 * rem) {
        if (me % 2)
            cf_send(&f, me - 1, buf, len);
        else
            cf_recv(&f, me + 1, buf, len);
    }
    return cf_wait(&f);
}

int cf_allreduce_flat(struct mpi_comm *c, struct mpi_op *o, struct mpi_dtype *t, void *buf,
                      size_t count)
{
    struct cf f;
    cf_begin(&f, c);
    size_t len = count * (size_t)t->size;
    int n = c->size;
    if (c->rank) {
        cf_send(&f, 0, buf, len);
        cf_recv(&f, 0, buf, len);
        return cf_wait(&f);
    }
    char stack[CF_MAX_BYTES];
    size_t need = (size_t)(n - 1) * len;
    char *all = need <= sizeof stack ? stack : malloc(need);
    if (!all) f.err = MPI_ERR_NO_MEM;
    for (int i = 1; i < n; i++) cf_recv(&f, i, all + (size_t)(i - 1) * len, len);
    if (!cf_wait(&f)) {
        /* x0 op (x1 op (... op x(n-1))): member order for any operation. */
        char *acc = all + (size_t)(n - 2) * len;
        for (int i = n - 2; i >= 1 && !f.err; i--)
            f.err = op_apply(o, t, all + (size_t)(i - 1) * len, acc, count);
        if (!f.err) f.err = op_apply(o, t, buf, acc, count);
        if (!f.err) memcpy(buf, acc, len);
    }
    for (int i = 1; i < n && !f.err; i++) cf_send(&f, i, buf, len);
    cf_wait(&f);
    if (all != stack) free(all);
    return f.err;
}

int cf_reduce_binomial(struct mpi_comm *c, struct mpi_op *o, struct mpi_dtype *t, int root,
                       const void *mine, void *out, size_t count)
{
    struct cf f;
    cf_begin(&f, c);
    size_t len = count * (size_t)t->size;
    int n = c->size, troot = o->commute ? root : 0, rel = (c->rank - troot + n) % n, mask = 1;
    /* The children's partial results, one buffer each, received at once
     * and combined in member order (as coll_reduce.c's tree). */
    int nch = 0;
    for (int m = 1; m < n && !(rel & m); m <<= 1) nch += rel + m < n;
    /* The last child's partial result goes straight to the root's output
     * (it ends up holding the result), when that is not mine. */
    char *last = c->rank == root && troot == root && out != mine ? out : NULL;
    size_t room = (size_t)(nch - (last != NULL)) * len;
    char stack[CF_MAX_BYTES], *bufs = room <= sizeof stack ? stack : malloc(room);
    if (!bufs) return MPI_ERR_NO_MEM;
    char *ch[64];
    for (int k = 0; k < nch; k++) ch[k] = k == nch - 1 && last ? last : bufs + (size_t)k * len;
    nch = 0;
    for (; mask < n; mask <<= 1) {
        if (rel & mask) break;
        if (rel + mask >= n) continue;
        cf_recv(&f, (rel + mask + troot) % n, ch[nch++], len);
    }
    int parent = mask < n ? (rel - mask + troot) % n : -1;
    const void *acc = mine;
    if (!cf_wait(&f))
        for (int k = 0; k < nch && !f.err; k++) {
            f.err = op_apply(o, t, acc, ch[k], count);
            acc = ch[k];
        }
    if (f.err) {
        if (bufs != stack) free(bufs);
        return f.err;
    }
    if (parent >= 0) {
        cf_send(&f, parent, acc, len);
    } else if (c->rank == root) {
        if (out != acc) memmove(out, acc, len);
    } else {
        cf_send(&f, root, acc, len);
    }
    if (c->rank == root && troot != root) cf_recv(&f, troot, out, len);
    cf_wait(&f);
    if (bufs != stack) free(bufs);
    return f.err;
}

int cf_alltoall_linear(struct mpi_comm *c, const char *in, char *out, size_t blk)
{
    struct cf f;
    cf_begin(&f, c);
    int n = c->size, me = c->rank;
    memcpy(out + (size_t)me * blk, in + (size_t)me * blk, blk);
    for (int i = 1; i < n; i++) {
        int to = (me + i) % n, from = (me - i + n) % n;
        cf_recv(&f, from, out + (size_t)from * blk, blk);
        cf_send(&f, to, in + (size_t)to * blk, blk);
    }
    return cf_wait(&f);
}

int cf_allgather(struct mpi_comm *c, char *out, const void *mine, size_t blk, int bruck)
{
    struct cf f;
    cf_begin(&f, c);
    int n = c->size, me = c->rank;
    char *own = out + (size_t)me * blk;
    if (!bruck) {
        /* The first round sends the rank's block from where it lies and
         * copies it into place meanwhile: sent from the copy, its lines
         * would still be in this core's cache, dirty, when the peer reads
         * them (32 KiB between two ranks: 11 us against 6.6). */
        for (int mask = 1; mask < n && !f.err; mask <<= 1) {
            int peer = me ^ mask, from = me & ~(mask - 1), theirs = peer & ~(mask - 1);
            cf_send(&f, peer, mask == 1 ? mine : out + (size_t)from * blk, (size_t)mask * blk);
            cf_recv(&f, peer, out + (size_t)theirs * blk, (size_t)mask * blk);
            if (mask == 1 && mine != own) memcpy(own, mine, blk);
            cf_wait(&f);
        }
        return f.err;
    }
    /* tmp: the blocks of ranks me, me+1, ... (as coll_allgather.c's); the
     * last loop puts this rank's in place too. */
    char stack[CF_MAX_BYTES],
        *tmp = (size_t)n * blk <= sizeof stack ? stack : malloc((size_t)n * blk);
    if (!tmp) return MPI_ERR_NO_MEM;
    memcpy(tmp, mine, blk);
    for (int d = 1; d < n && !f.err; d *= 2) {
        int k = d < n - d ? d : n - d;
        cf_send(&f, (me - d + n) % n, tmp, (size_t)k * blk);
        cf_recv(&f, (me + d) % n, tmp + (size_t)d * blk, (size_t)k * blk);
        cf_wait(&f);
    }
    for (int i = 0; i < n && !f.err; i++)
        memcpy(out + (size_t)((me + i) % n) * blk, tmp + (size_t)i * blk, blk);
    if (tmp != stack) free(tmp);
    return f.err;
}
