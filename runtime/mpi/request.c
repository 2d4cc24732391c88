/* MPI requests: a port request plus what MPI needs around it (the
 * communicator, a packed copy, persistence), finishing and freeing them,
 * and requests freed while still active. */
#include <stdlib.h>
#include <string.h>

#include "runtime/mpi/mpi_impl.h"

/* Freed requests are kept for reuse, as the ports keep theirs. */
static struct mpi_req *cache;
/* Requests freed by MPI_Request_free while active, finished later. */
static struct mpi_req *orphans;
static struct mpi_sched reaper;
static int reaper_on;

struct mpi_req *mreq_new(enum mreq_kind kind, struct mpi_comm *c)
{
    struct mpi_req *r = cache;
    if (r)
        cache = r->orphan_next;
    else if (!(r = malloc(sizeof *r)))
        return NULL;
    /* Field by field: a memset of the whole struct became a `rep stos`
     * here, which cost a fifth of an Isend/Irecv/Waitall message loop. */
    r->handle = MPI_REQUEST_NULL;
    r->kind = (uint8_t)kind;
    r->persistent = r->cancelled = r->settled = r->mode = 0;
    r->active = 1;
    r->fr = NULL;
    r->comm = c;
    r->buf = NULL;
    r->count = 0;
    r->dt = NULL;
    r->peer = r->tag = 0;
    r->tmp = NULL;
    r->cap = 0;
    r->sched = NULL;
    r->orphan_next = NULL;
    comm_ref(c);
    return r;
}

int mreq_publish(struct mpi_req *r, MPI_Request *out)
{
    int rc = htab_add(&mpi_s.reqs, r, &r->handle);
    if (rc) return rc;
    *out = r->handle;
    return MPI_SUCCESS;
}

int mreq_done(const struct mpi_req *r)
{
    if (!r->active) return 1;
    if (r->kind == MR_SCHED) return r->sched->done;
    return !r->fr || r->fr->done;
}

/* A done receive's bytes reach the user's buffer once. */
static void settle(struct mpi_req *r)
{
    if (r->settled || r->kind != MR_RECV || !r->tmp || !r->fr) return;
    size_t got = r->fr->status.size < r->cap ? r->fr->status.size : r->cap;
    dt_unpack(r->dt, r->count, r->tmp, (MPI_Count)got, (void *)r->buf);
    r->settled = 1;
}

int mreq_peek(struct mpi_req *r, MPI_Status *st)
{
    if (!r->active) {
        status_empty(st);
        return MPI_SUCCESS;
    }
    if (r->kind == MR_RECV && r->fr) {
        settle(r);
        int err = mpi_class_of(r->fr->error);
        status_from_port(st, &r->fr->status, r->comm, r->cap, err);
        return err;
    }
    if (r->kind == MR_RECV && !r->cancelled && r->peer == MPI_PROC_NULL) {
        status_proc_null(st);
        return MPI_SUCCESS;
    }
    status_empty(st);
    st->ferry_cancelled = r->cancelled;
    if (r->kind == MR_SEND && r->fr) st->MPI_ERROR = mpi_class_of(r->fr->error);
    return st->MPI_ERROR;
}

int mreq_finish(struct mpi_req *r, MPI_Status *st)
{
    MPI_Status local;
    if (!st) st = &local;
    int err = MPI_SUCCESS;
    if (r->kind == MR_SCHED) {
        status_empty(st);
        /* Unfinished only when MPI_Finalize sweeps it away. */
        if (r->active && !r->sched->done) bg_remove(r->sched);
        if (r->active) err = r->sched->finish(r->sched);
        r->sched = NULL;
    } else {
        err = mreq_peek(r, st);
        if (r->fr) ferry_wait(&r->fr, NULL);
    }
    free(r->tmp);
    r->tmp = NULL;
    r->active = 0;
    return err;
}

void mreq_free(struct mpi_req *r)
{
    if (r->handle != MPI_REQUEST_NULL) htab_del(&mpi_s.reqs, r->handle);
    if (r->dt) dtype_unref(r->dt);
    comm_unref(r->comm);
    free(r->tmp);
    r->orphan_next = cache;
    cache = r;
}

static int reap(struct mpi_sched *s)
{
    for (struct mpi_req **p = &orphans; *p;) {
        struct mpi_req *r = *p;
        if (!mreq_done(r)) {
            p = &r->orphan_next;
            continue;
        }
        *p = r->orphan_next;
        mreq_finish(r, NULL);
        mreq_free(r);
    }
    if (orphans) return 0;
    reaper_on = 0;
    return 1;
}

void mreq_orphan(struct mpi_req *r)
{
    htab_del(&mpi_s.reqs, r->handle);
    r->handle = MPI_REQUEST_NULL;
    r->orphan_next = orphans;
    orphans = r;
    if (!reaper_on) {
        reaper.poll = reap;
        reaper_on = 1;
        bg_add(&reaper);
    }
}

/* An operation still going at MPI_Finalize (the program's error): a
 * receive is withdrawn, a send is left to the runtime with its buffer. */
static void abandon(struct mpi_req *r)
{
    if (!r->active || mreq_done(r) || r->kind == MR_SCHED) return;
    if (r->kind == MR_RECV && port_recv_cancel(r->fr)) {
        req_free(r->fr);
        r->fr = NULL;
        r->cancelled = 1;
    } else if (r->kind == MR_RECV) {
        ferry_wait(&r->fr, NULL); /* matched: its data is arriving */
    } else {
        r->fr->internal = 1;
        r->fr = NULL;
        r->tmp = NULL; /* the send may still read it */
    }
}

void reqs_fini(void)
{
    /* Requests the program left behind, then the cache. */
    for (uint32_t i = 1; i < mpi_s.reqs.n; i++) {
        struct mpi_req *r = mpi_s.reqs.slot[i];
        if (!r) continue;
        abandon(r);
        if (r->active) mreq_finish(r, NULL);
        mreq_free(r);
    }
    while (orphans) {
        struct mpi_req *r = orphans;
        orphans = r->orphan_next;
        abandon(r);
        mreq_finish(r, NULL);
        mreq_free(r);
    }
    if (reaper_on) bg_remove(&reaper);
    reaper_on = 0;
    while (cache) {
        struct mpi_req *r = cache;
        cache = r->orphan_next;
        free(r);
    }
    htab_fini(&mpi_s.reqs);
}

#pragma weak MPI_Request_free = PMPI_Request_free
FERRY_API int PMPI_Request_free(MPI_Request *request)
{
    LOCKED();
    static const char *const FN = "MPI_Request_free";
    MPI_CHECK_INIT(FN);
    struct mpi_req *r = request ? mreq_get(*request) : NULL;
    if (!r) return mpi_err(NULL, MPI_ERR_REQUEST, FN, "invalid request");
    if (r->active && !mreq_done(r)) {
        mreq_orphan(r);
    } else {
        if (r->active) mreq_finish(r, NULL);
        mreq_free(r);
    }
    *request = MPI_REQUEST_NULL;
    return MPI_SUCCESS;
}

#pragma weak MPI_Request_get_status = PMPI_Request_get_status
FERRY_API int PMPI_Request_get_status(MPI_Request request, int *flag, MPI_Status *status)
{
    LOCKED();
    static const char *const FN = "MPI_Request_get_status";
    MPI_CHECK_INIT(FN);
    if (!flag) return mpi_err(NULL, MPI_ERR_ARG, FN, "null flag pointer");
    MPI_Status local;
    MPI_Status *st = status_ignored(status) ? &local : status;
    if (request == MPI_REQUEST_NULL) {
        *flag = 1;
        status_empty(st);
        return MPI_SUCCESS;
    }
    struct mpi_req *r = mreq_get(request);
    if (!r) return mpi_err(NULL, MPI_ERR_REQUEST, FN, "invalid request %#x", (unsigned)request);
    if (!mreq_done(r)) mpi_poke();
    *flag = mreq_done(r);
    if (!*flag) return MPI_SUCCESS;
    int err = mreq_peek(r, st);
    return err ? p2p_raise(r->comm, err, FN, st) : MPI_SUCCESS;
}

#pragma weak MPI_Cancel = PMPI_Cancel
FERRY_API int PMPI_Cancel(MPI_Request *request)
{
    LOCKED();
    static const char *const FN = "MPI_Cancel";
    MPI_CHECK_INIT(FN);
    struct mpi_req *r = request ? mreq_get(*request) : NULL;
    if (!r) return mpi_err(NULL, MPI_ERR_REQUEST, FN, "invalid request");
    /* Only a receive still waiting for its message can be withdrawn; a
     * send always completes (the standard allows either outcome). */
    if (r->active && r->kind == MR_RECV && r->fr && !r->fr->done && port_recv_cancel(r->fr)) {
        req_free(r->fr);
        r->fr = NULL;
        r->cancelled = 1;
        free(r->tmp);
        r->tmp = NULL;
    }
    return MPI_SUCCESS;
}

int mreq_complete(MPI_Request *h, struct mpi_req *r, MPI_Status *st, struct mpi_comm **errc)
{
    int err = mreq_finish(r, st);
    if (err) {
        *errc = r->comm;
        comm_ref(r->comm);
    }
    if (!r->persistent) {
        mreq_free(r);
        *h = MPI_REQUEST_NULL;
    }
    return err;
}

int mreq_lookup(int count, const MPI_Request *reqs, const char *fn)
{
    MPI_CHECK_INIT(fn);
    if (count < 0) return mpi_err(NULL, MPI_ERR_COUNT, fn, "invalid count %d (negative)", count);
    if (count && !reqs) return mpi_err(NULL, MPI_ERR_ARG, fn, "null request array");
    for (int i = 0; i < count; i++)
        if (reqs[i] != MPI_REQUEST_NULL && !mreq_get(reqs[i]))
            return mpi_err(NULL, MPI_ERR_REQUEST, fn, "invalid request %#x at index %d",
                           (unsigned)reqs[i], i);
    return MPI_SUCCESS;
}

int raise_in_status(struct mpi_comm *c, const char *fn, int index, int err)
{
    char s[MPI_MAX_ERROR_STRING];
    int len;
    PMPI_Error_string(err, s, &len);
    int rc = mpi_err(c, MPI_ERR_IN_STATUS, fn, "request %d failed: %s", index, s);
    comm_unref(c);
    return rc;
}
