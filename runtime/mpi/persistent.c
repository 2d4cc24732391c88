/* Persistent requests: the arguments of a send or receive kept in an
 * inactive request that MPI_Start sets going, again and again. */
#include "runtime/mpi/mpi_impl.h"

static int init(const void *buf, int count, MPI_Datatype type, int peer, int tag, MPI_Comm comm,
                MPI_Request *request, enum mreq_kind kind, enum send_mode mode, const char *fn)
{
    struct mpi_comm *c;
    struct mpi_dtype *t;
    int rc = kind == MR_SEND ? check_send(comm, buf, count, type, peer, tag, fn, &c, &t)
                             : check_recv(comm, (void *)buf, count, type, peer, tag, fn, &c, &t);
    if (rc) return rc;
    if (!request) return mpi_err(c, MPI_ERR_ARG, fn, "null request pointer");
    struct mpi_req *r = mreq_new(kind, c);
    if (!r) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    r->persistent = 1;
    r->active = 0;
    r->mode = (uint8_t)mode;
    r->buf = buf;
    r->count = count;
    r->dt = t;
    dtype_ref(t);
    r->peer = peer;
    r->tag = tag;
    if ((rc = mreq_publish(r, request))) {
        mreq_free(r);
        return mpi_err(c, rc, fn, "out of memory");
    }
    return MPI_SUCCESS;
}

#pragma weak MPI_Send_init = PMPI_Send_init
FERRY_API int PMPI_Send_init(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                             MPI_Comm comm, MPI_Request *request)
{
    LOCKED();
    return init(buf, count, type, dest, tag, comm, request, MR_SEND, SM_STANDARD, "MPI_Send_init");
}

#pragma weak MPI_Ssend_init = PMPI_Ssend_init
FERRY_API int PMPI_Ssend_init(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                              MPI_Comm comm, MPI_Request *request)
{
    LOCKED();
    return init(buf, count, type, dest, tag, comm, request, MR_SEND, SM_SYNC, "MPI_Ssend_init");
}

#pragma weak MPI_Rsend_init = PMPI_Rsend_init
FERRY_API int PMPI_Rsend_init(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                              MPI_Comm comm, MPI_Request *request)
{
    LOCKED();
    return init(buf, count, type, dest, tag, comm, request, MR_SEND, SM_READY, "MPI_Rsend_init");
}

#pragma weak MPI_Bsend_init = PMPI_Bsend_init
FERRY_API int PMPI_Bsend_init(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                              MPI_Comm comm, MPI_Request *request)
{
    LOCKED();
    return init(buf, count, type, dest, tag, comm, request, MR_SEND, SM_BUFFERED, "MPI_Bsend_init");
}

#pragma weak MPI_Recv_init = PMPI_Recv_init
FERRY_API int PMPI_Recv_init(void *buf, int count, MPI_Datatype type, int source, int tag,
                             MPI_Comm comm, MPI_Request *request)
{
    LOCKED();
    return init(buf, count, type, source, tag, comm, request, MR_RECV, SM_STANDARD,
                "MPI_Recv_init");
}

static int start(MPI_Request h, int index, const char *fn)
{
    struct mpi_req *r = mreq_get(h);
    if (!r || !r->persistent)
        return mpi_err(NULL, MPI_ERR_REQUEST, fn, "request %#x at index %d is not persistent",
                       (unsigned)h, index);
    if (r->active)
        return mpi_err(r->comm, MPI_ERR_REQUEST, fn, "request at index %d is already active",
                       index);
    return mreq_start(r, fn);
}

#pragma weak MPI_Start = PMPI_Start
FERRY_API int PMPI_Start(MPI_Request *request)
{
    LOCKED();
    MPI_CHECK_INIT("MPI_Start");
    if (!request) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Start", "null request pointer");
    return start(*request, 0, "MPI_Start");
}

#pragma weak MPI_Startall = PMPI_Startall
FERRY_API int PMPI_Startall(int count, MPI_Request reqs[])
{
    LOCKED();
    static const char *const FN = "MPI_Startall";
    MPI_CHECK_INIT(FN);
    if (count < 0) return mpi_err(NULL, MPI_ERR_COUNT, FN, "invalid count %d (negative)", count);
    if (count && !reqs) return mpi_err(NULL, MPI_ERR_ARG, FN, "null request array");
    for (int i = 0; i < count; i++) {
        int rc = start(reqs[i], i, FN);
        if (rc) return rc;
    }
    return MPI_SUCCESS;
}
