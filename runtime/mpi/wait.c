/* MPI_Wait and its array forms: wait in the progress engine (spinning,
 * then sleeping) until the requests are done. */
#include "runtime/mpi/mpi_impl.h"

static int one_done(void *arg)
{
    return mreq_done(arg);
}

/* Report a single request's error on its communicator. */
static int raise_one(struct mpi_comm *c, int err, const char *fn, const MPI_Status *st)
{
    int rc = p2p_raise(c, err, fn, st);
    comm_unref(c);
    return rc;
}

#pragma weak MPI_Wait = PMPI_Wait
FERRY_API int PMPI_Wait(MPI_Request *request, MPI_Status *status)
{
    LOCKED();
    static const char *const FN = "MPI_Wait";
    MPI_CHECK_INIT(FN);
    if (!request) return mpi_err(NULL, MPI_ERR_ARG, FN, "null request pointer");
    MPI_Status local, *st = status_ignored(status) ? &local : status;
    if (*request == MPI_REQUEST_NULL) {
        status_empty(st);
        return MPI_SUCCESS;
    }
    struct mpi_req *r = mreq_get(*request);
    if (!r) return mpi_err(NULL, MPI_ERR_REQUEST, FN, "invalid request %#x", (unsigned)*request);
    if (!mreq_done(r)) mpi_wait_until(one_done, r);
    struct mpi_comm *ec;
    int err = mreq_complete(request, r, st, &ec);
    return err ? raise_one(ec, err, FN, st) : MPI_SUCCESS;
}

struct reqs {
    int n;
    const MPI_Request *h;
    int from; /* all_done: every request before this one is done */
};

static int active(MPI_Request h, struct mpi_req **out)
{
    struct mpi_req *r = h == MPI_REQUEST_NULL ? NULL : mreq_get(h);
    *out = r;
    return r && r->active;
}

/* Called after every progress step: a request once done stays done, so
 * the scan starts at the first one not seen done (a window of n requests
 * completing one by one costs n looks, not n * n / 2). */
static int all_done(void *arg)
{
    struct reqs *a = arg;
    struct mpi_req *r;
    for (; a->from < a->n; a->from++)
        if (active(a->h[a->from], &r) && !mreq_done(r)) return 0;
    return 1;
}

/* Any active request done, or none active at all. */
static int any_done(void *arg)
{
    struct reqs *a = arg;
    struct mpi_req *r;
    int some = 0;
    for (int i = 0; i < a->n; i++)
        if (active(a->h[i], &r)) {
            if (mreq_done(r)) return 1;
            some = 1;
        }
    return !some;
}

/* Complete every done request among reqs; statuses into sts (NULL:
 * ignored). Shared by Waitall, Testall and (with indices) the some calls. */
int complete_done(int n, MPI_Request *reqs, MPI_Status *sts, int *outcount, int *indices,
                  const char *fn)
{
    struct mpi_comm *ec = NULL;
    int first_err = MPI_SUCCESS, err_index = -1, k = 0;
    for (int i = 0; i < n; i++) {
        struct mpi_req *r;
        if (!active(reqs[i], &r)) {
            if (!indices && sts) status_empty(&sts[i]);
            continue;
        }
        if (!mreq_done(r)) continue;
        if (!sts && !indices && r->fr && !r->fr->error && !r->tmp && !r->persistent) {
            /* A plain send or receive that went well, statuses ignored
             * (a window of Isend/Irecv): only its two requests to free
             * (the port's is done: no ferry_wait and its checks). */
            req_free(r->fr);
            r->fr = NULL;
            mreq_free(r);
            reqs[i] = MPI_REQUEST_NULL;
            k++;
            continue;
        }
        MPI_Status local, *st = sts ? &sts[indices ? k : i] : &local;
        struct mpi_comm *c = NULL;
        int err = mreq_complete(&reqs[i], r, st, &c);
        st->MPI_ERROR = err;
        if (indices) indices[k] = i;
        k++;
        if (err && !ec) {
            ec = c;
            first_err = err;
            err_index = i;
        } else if (err) {
            comm_unref(c);
        }
    }
    if (outcount) *outcount = k;
    return ec ? raise_in_status(ec, fn, err_index, first_err) : MPI_SUCCESS;
}

#pragma weak MPI_Waitall = PMPI_Waitall
FERRY_API int PMPI_Waitall(int count, MPI_Request reqs[], MPI_Status sts[])
{
    LOCKED();
    static const char *const FN = "MPI_Waitall";
    int rc = mreq_lookup(count, reqs, FN);
    if (rc) return rc;
    struct reqs a = {count, reqs, 0};
    mpi_wait_until(all_done, &a);
    return complete_done(count, reqs, sts == MPI_STATUSES_IGNORE ? NULL : sts, NULL, NULL, FN);
}

/* The first done active request, completed: its index, or MPI_UNDEFINED
 * when none is active. Returns the error class raised. */
int complete_any(int count, MPI_Request reqs[], int *index, MPI_Status *status, const char *fn)
{
    MPI_Status local, *st = status_ignored(status) ? &local : status;
    struct mpi_req *r;
    for (int i = 0; i < count; i++) {
        if (!active(reqs[i], &r) || !mreq_done(r)) continue;
        *index = i;
        struct mpi_comm *ec;
        int err = mreq_complete(&reqs[i], r, st, &ec);
        return err ? raise_one(ec, err, fn, st) : MPI_SUCCESS;
    }
    *index = MPI_UNDEFINED;
    status_empty(st);
    return MPI_SUCCESS;
}

#pragma weak MPI_Waitany = PMPI_Waitany
FERRY_API int PMPI_Waitany(int count, MPI_Request reqs[], int *index, MPI_Status *status)
{
    LOCKED();
    static const char *const FN = "MPI_Waitany";
    int rc = mreq_lookup(count, reqs, FN);
    if (rc) return rc;
    if (!index) return mpi_err(NULL, MPI_ERR_ARG, FN, "null index pointer");
    struct reqs a = {count, reqs, 0};
    mpi_wait_until(any_done, &a);
    return complete_any(count, reqs, index, status, FN);
}

/* Whether any request is active (else the some calls answer UNDEFINED). */
int any_active(int count, const MPI_Request reqs[])
{
    struct mpi_req *r;
    for (int i = 0; i < count; i++)
        if (active(reqs[i], &r)) return 1;
    return 0;
}

#pragma weak MPI_Waitsome = PMPI_Waitsome
FERRY_API int PMPI_Waitsome(int incount, MPI_Request reqs[], int *outcount, int indices[],
                            MPI_Status sts[])
{
    LOCKED();
    static const char *const FN = "MPI_Waitsome";
    int rc = mreq_lookup(incount, reqs, FN);
    if (rc) return rc;
    if (!outcount || (incount && !indices))
        return mpi_err(NULL, MPI_ERR_ARG, FN, "null result pointer");
    if (!any_active(incount, reqs)) {
        *outcount = MPI_UNDEFINED;
        return MPI_SUCCESS;
    }
    struct reqs a = {incount, reqs, 0};
    mpi_wait_until(any_done, &a);
    return complete_done(incount, reqs, sts == MPI_STATUSES_IGNORE ? NULL : sts, outcount, indices,
                         FN);
}
