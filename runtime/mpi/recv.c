/* Blocking and nonblocking receives. */
#include <stdlib.h>

#include "runtime/mpi/mpi_impl.h"

static int fr_done(void *arg)
{
    return ((struct ferry_request *)arg)->done;
}

#pragma weak MPI_Recv = PMPI_Recv
FERRY_API int PMPI_Recv(void *buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm,
                        MPI_Status *status)
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
    if ((rc = p2p_start_recv(c, buf, count, t, source, tag, &fr, &tmp, &cap)))
        return p2p_raise(c, rc, FN, NULL);
    if (!fr->done) mpi_wait_until(fr_done, fr);
    ferry_status_t fs;
    int err = mpi_class_of(ferry_wait(&fr, &fs));
    if (tmp) {
        dt_unpack(t, count, tmp, (MPI_Count)(fs.size < cap ? fs.size : cap), buf);
        free(tmp);
    }
    if (__builtin_expect(err != MPI_SUCCESS, 0)) {
        MPI_Status st;
        status_from_port(&st, &fs, c, cap, err);
        if (!status_ignored(status)) *status = st;
        return p2p_raise(c, err, FN, &st);
    }
    if (!status_ignored(status)) status_from_port(status, &fs, c, cap, err);
    return MPI_SUCCESS;
}

#pragma weak MPI_Irecv = PMPI_Irecv
FERRY_API int PMPI_Irecv(void *buf, int count, MPI_Datatype type, int source, int tag,
                         MPI_Comm comm, MPI_Request *request)
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
    if (source != MPI_PROC_NULL &&
        (rc = p2p_start_recv(c, buf, count, t, source, tag, &r->fr, &r->tmp, &r->cap))) {
        mreq_free(r);
        return p2p_raise(c, rc, FN, NULL);
    }
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
