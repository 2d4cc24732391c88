/* Blocking and nonblocking receives. */
#include <stdlib.h>

#include "runtime/mpi/mpi_impl.h"
#include "runtime/progress/progress.h"

static int fr_done(void *arg)
{
    return ((struct ferry_request *)arg)->done;
}

/* Every check, then the receive: the general path, and where errors are
 * raised. */
__attribute__((noinline)) static int recv(void *buf, int count, MPI_Datatype type, int source,
                                          int tag, MPI_Comm comm, MPI_Status *status)
{
    static const char *const FN = "MPI_Recv";
    struct mpi_comm *c;
    struct mpi_dtype *t;
    int rc = check_recv(comm, buf, count, type, source, tag, FN, &c, &t);
    if (rc) return rc;
    if (source == MPI_PROC_NULL) {
        if (!status_ignored(status)) status_proc_null(status);
        return MPI_SUCCESS;
    }
    struct ferry_request *fr;
    void *tmp;
    size_t cap;
    int unpack;
    if ((rc = p2p_start_recv(c, buf, count, t, source, tag, &fr, &tmp, &cap, &unpack)))
        return p2p_raise(c, rc, FN, NULL);
    if (!fr->done) mpi_wait_until(fr_done, fr);
    ferry_status_t fs;
    int err = mpi_class_of(ferry_wait(&fr, &fs));
    if (unpack) dt_unpack(t, count, tmp, (MPI_Count)(fs.size < cap ? fs.size : cap), buf);
    free(tmp);
    MPI_Status local, *st = status_ignored(status) ? &local : status;
    status_from_port(st, &fs, c, cap, err);
    return err ? p2p_raise(c, err, FN, st) : MPI_SUCCESS;
}

__attribute__((cold, noinline)) static int recv_failed(struct mpi_comm *c, struct ferry_request *fr,
                                                       size_t cap, MPI_Status *status)
{
    ferry_status_t fs;
    int err = mpi_class_of(ferry_wait(&fr, &fs));
    MPI_Status local, *st = status_ignored(status) ? &local : status;
    status_from_port(st, &fs, c, cap, err);
    return p2p_raise(c, err, "MPI_Recv", st);
}

#pragma weak MPI_Recv = PMPI_Recv
FERRY_API int PMPI_Recv(void *buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm,
                        MPI_Status *status)
{
    LOCKED();
    struct mpi_comm *c = comm_get(comm);
    struct mpi_dtype *t = dtype_get(type);
    /* The common case in a few compares: a valid contiguous receive with
     * no background work, straight into the user's buffer. Anything else
     * takes the general path, which checks everything again. */
    if (__builtin_expect(c && t && t->contig && t->committed && count >= 0 && (buf || !count) &&
                             ((unsigned)source < (unsigned)c->size || source == MPI_ANY_SOURCE) &&
                             (tag >= 0 || tag == MPI_ANY_TAG) && mpi_s.initialized &&
                             !mpi_s.bg_active,
                         1)) {
        struct match m = p2p_match(c, source, tag);
        struct ferry_request *fr;
        size_t cap = (size_t)count * (size_t)t->size;
        int rc = port_irecv(mpi_s.port, &m, addr_add(buf, t->blocks[0].off), cap, PORT_RECV_CONSUME,
                            &fr);
        if (__builtin_expect(rc != 0, 0)) return p2p_raise(c, mpi_class_of(rc), "MPI_Recv", NULL);
        if (!fr->done) progress_wait(fr_done, fr, FERRY_FOREVER);
        if (__builtin_expect(fr->error != 0, 0)) return recv_failed(c, fr, cap, status);
        if (!status_ignored(status)) status_from_port(status, &fr->status, c, cap, MPI_SUCCESS);
        req_free(fr); /* done: no ferry_wait and its checks */
        return MPI_SUCCESS;
    }
    return recv(buf, count, type, source, tag, comm, status);
}

__attribute__((noinline)) static int irecv(void *buf, int count, MPI_Datatype type, int source,
                                           int tag, MPI_Comm comm, MPI_Request *request)
{
    static const char *const FN = "MPI_Irecv";
    struct mpi_comm *c;
    struct mpi_dtype *t;
    int rc = check_recv(comm, buf, count, type, source, tag, FN, &c, &t);
    if (rc) return rc;
    if (!request) return mpi_err(c, MPI_ERR_ARG, FN, "null request pointer");
    struct mpi_req *r = mreq_new(MR_RECV, c);
    if (!r) return mpi_err(c, MPI_ERR_NO_MEM, FN, "out of memory");
    r->peer = source;
    r->tag = tag;
    r->buf = buf;
    r->count = count;
    r->dt = t;
    dtype_ref(t);
    int unpack = 0;
    if (source != MPI_PROC_NULL &&
        (rc = p2p_start_recv(c, buf, count, t, source, tag, &r->fr, &r->tmp, &r->cap, &unpack))) {
        mreq_free(r);
        return p2p_raise(c, rc, FN, NULL);
    }
    r->settled = !unpack; /* the bytes land in the user's buffer */
    if ((rc = mreq_publish(r, request))) {
        if (r->fr && port_recv_cancel(r->fr))
            req_free(r->fr);
        else if (r->fr) {
            mpi_wait_until(fr_done, r->fr);
            ferry_wait(&r->fr, NULL);
        }
        mreq_free(r);
        return mpi_err(c, rc, FN, "out of memory");
    }
    return MPI_SUCCESS;
}

#pragma weak MPI_Irecv = PMPI_Irecv
FERRY_API int PMPI_Irecv(void *buf, int count, MPI_Datatype type, int source, int tag,
                         MPI_Comm comm, MPI_Request *request)
{
    LOCKED();
    struct mpi_comm *c = comm_get(comm);
    struct mpi_dtype *t = dtype_get(type);
    /* As MPI_Recv's: a valid contiguous receive straight into the user's
     * buffer (no type kept: nothing to unpack). A failure to post or to
     * publish takes the general path, which raises it. */
    if (__builtin_expect(c && t && t->contig && t->committed && count >= 0 && (buf || !count) &&
                             ((unsigned)source < (unsigned)c->size || source == MPI_ANY_SOURCE) &&
                             (tag >= 0 || tag == MPI_ANY_TAG) && request && mpi_s.initialized,
                         1)) {
        struct mpi_req *r = mreq_new(MR_RECV, c);
        if (__builtin_expect(r != NULL, 1)) {
            struct match m = p2p_match(c, source, tag);
            r->peer = source;
            r->tag = tag;
            r->buf = buf;
            r->count = count;
            r->cap = (size_t)count * (size_t)t->size;
            r->settled = 1;
            if (__builtin_expect(!port_irecv(mpi_s.port, &m, addr_add(buf, t->blocks[0].off),
                                             r->cap, PORT_RECV_CONSUME, &r->fr),
                                 1)) {
                if (__builtin_expect(!mreq_publish(r, request), 1)) return MPI_SUCCESS;
                if (port_recv_cancel(r->fr)) {
                    req_free(r->fr);
                } else {
                    mpi_wait_until(fr_done, r->fr);
                    ferry_wait(&r->fr, NULL);
                }
            }
            mreq_free(r);
        }
    }
    return irecv(buf, count, type, source, tag, comm, request);
}
