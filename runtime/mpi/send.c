/* Blocking and nonblocking sends in the standard, synchronous and ready
 * modes. A ready send is a standard send: the receive is already posted,
 * so it behaves the same. */
#include <stdlib.h>

#include "runtime/mpi/mpi_impl.h"

static int fr_done(void *arg)
{
    return ((struct ferry_request *)arg)->done;
}

/* The general path: packing, or background work that must advance while
 * this send waits. */
static int send_wait(struct mpi_comm *c, const void *buf, int count, struct mpi_dtype *t, int dest,
                     int tag, enum send_mode mode, const char *fn)
{
    struct ferry_request *fr;
    void *tmp;
    int rc = p2p_start_send(c, buf, count, t, dest, tag, mode, &fr, &tmp);
    if (rc) return p2p_raise(c, rc, fn, NULL);
    mpi_wait_until(fr_done, fr);
    rc = mpi_class_of(ferry_wait(&fr, NULL));
    free(tmp);
    return rc ? p2p_raise(c, rc, fn, NULL) : MPI_SUCCESS;
}

/* Every check, then the send: the general path, and where errors are
 * raised. */
__attribute__((noinline)) static int send(const void *buf, int count, MPI_Datatype type, int dest,
                                          int tag, MPI_Comm comm, enum send_mode mode,
                                          const char *fn)
{
    struct mpi_comm *c;
    struct mpi_dtype *t;
    int rc = check_send(comm, buf, count, type, dest, tag, fn, &c, &t);
    if (rc) return rc;
    if (dest == MPI_PROC_NULL) return MPI_SUCCESS;
    const void *p;
    if (dt_span(t, count, buf, &p) && !mpi_s.bg_active) {
        rc = port_send(mpi_port_of(comm_world_rank(c, dest)), p2p_tag(c, tag), p,
                       (size_t)count * (size_t)t->size, mode == SM_SYNC ? PORT_SEND_SYNC : 0);
        return rc ? p2p_raise(c, mpi_class_of(rc), fn, NULL) : MPI_SUCCESS;
    }
    return send_wait(c, buf, count, t, dest, tag, mode, fn);
}

__attribute__((cold, noinline)) static int send_failed(MPI_Comm comm, int rc, const char *fn)
{
    return p2p_raise(comm_get(comm), mpi_class_of(rc), fn, NULL);
}

/* The common case in a few compares: a valid contiguous send with no
 * background work, straight to the port. Anything else takes the general
 * path, which checks everything again and raises errors. */
static inline int send_fast(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                            MPI_Comm comm, enum send_mode mode, const char *fn)
{
    struct mpi_comm *c = comm_get(comm);
    struct mpi_dtype *t = dtype_get(type);
    if (__builtin_expect(c && t && t->contig && t->committed && count >= 0 && tag >= 0 &&
                             (unsigned)dest < (unsigned)c->size && (buf || !count) &&
                             mpi_s.initialized && !mpi_s.bg_active,
                         1)) {
        int rc = port_send(mpi_port_of(comm_world_rank(c, dest)), p2p_tag(c, tag),
                           addr_add(buf, t->blocks[0].off), (size_t)count * (size_t)t->size,
                           mode == SM_SYNC ? PORT_SEND_SYNC : 0);
        return __builtin_expect(rc == 0, 1) ? MPI_SUCCESS : send_failed(comm, rc, fn);
    }
    return send(buf, count, type, dest, tag, comm, mode, fn);
}

#pragma weak MPI_Send = PMPI_Send
FERRY_API int PMPI_Send(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                        MPI_Comm comm)
{
    LOCKED();
    return send_fast(buf, count, type, dest, tag, comm, SM_STANDARD, "MPI_Send");
}

#pragma weak MPI_Ssend = PMPI_Ssend
FERRY_API int PMPI_Ssend(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                         MPI_Comm comm)
{
    LOCKED();
    return send_fast(buf, count, type, dest, tag, comm, SM_SYNC, "MPI_Ssend");
}

#pragma weak MPI_Rsend = PMPI_Rsend
FERRY_API int PMPI_Rsend(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                         MPI_Comm comm)
{
    LOCKED();
    return send_fast(buf, count, type, dest, tag, comm, SM_READY, "MPI_Rsend");
}

__attribute__((noinline)) static int isend(const void *buf, int count, MPI_Datatype type, int dest,
                                           int tag, MPI_Comm comm, MPI_Request *request,
                                           enum send_mode mode, const char *fn)
{
    struct mpi_comm *c;
    struct mpi_dtype *t;
    int rc = check_send(comm, buf, count, type, dest, tag, fn, &c, &t);
    if (rc) return rc;
    if (!request) return mpi_err(c, MPI_ERR_ARG, fn, "null request pointer");
    struct mpi_req *r = mreq_new(MR_SEND, c);
    if (!r) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    r->mode = (uint8_t)mode;
    r->peer = dest;
    r->tag = tag;
    r->buf = buf;
    r->count = count;
    if (dest != MPI_PROC_NULL && mode == SM_BUFFERED) {
        if ((rc = bsend_start(c, buf, count, t, dest, tag, fn))) {
            mreq_free(r);
            return rc;
        }
    } else if (dest != MPI_PROC_NULL &&
               (rc = p2p_start_send(c, buf, count, t, dest, tag, mode, &r->fr, &r->tmp))) {
        mreq_free(r);
        return p2p_raise(c, rc, fn, NULL);
    }
    if ((rc = mreq_publish(r, request))) {
        /* No handle to give: finish it here. */
        if (r->fr) {
            mpi_wait_until(fr_done, r->fr);
            ferry_wait(&r->fr, NULL);
        }
        mreq_free(r);
        return p2p_raise(c, rc, fn, NULL);
    }
    return MPI_SUCCESS;
}

/* A started send left without a handle (the table could not grow). */
__attribute__((cold, noinline)) static int isend_unpublished(struct mpi_req *r, int rc,
                                                             const char *fn)
{
    struct mpi_comm *c = r->comm;
    comm_ref(c);
    mpi_wait_until(fr_done, r->fr);
    ferry_wait(&r->fr, NULL);
    mreq_free(r);
    rc = p2p_raise(c, rc, fn, NULL);
    comm_unref(c);
    return rc;
}

/* The common case as send_fast's: a valid contiguous send goes straight
 * to the port, no general checks, no packing decision (a third of the
 * instructions of an Isend here). Anything else, or a port that refuses,
 * takes the general path, which checks everything again and raises. */
__attribute__((always_inline)) static inline int isend_fast(const void *buf, int count,
                                                            MPI_Datatype type, int dest, int tag,
                                                            MPI_Comm comm, MPI_Request *request,
                                                            enum send_mode mode, const char *fn)
{
    struct mpi_comm *c = comm_get(comm);
    struct mpi_dtype *t = dtype_get(type);
    if (__builtin_expect(c && t && t->contig && t->committed && count >= 0 && tag >= 0 &&
                             (unsigned)dest < (unsigned)c->size && (buf || !count) && request &&
                             mpi_s.initialized,
                         1)) {
        struct mpi_req *r = mreq_new(MR_SEND, c);
        if (__builtin_expect(!r, 0)) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
        r->mode = (uint8_t)mode;
        r->peer = dest;
        r->tag = tag;
        r->buf = buf;
        r->count = count;
        int rc = port_isend(mpi_port_of(comm_world_rank(c, dest)), p2p_tag(c, tag),
                            addr_add(buf, t->blocks[0].off), (size_t)count * (size_t)t->size,
                            mode == SM_SYNC ? PORT_SEND_SYNC : 0, &r->fr);
        if (__builtin_expect(rc == 0, 1)) {
            rc = mreq_publish(r, request);
            return __builtin_expect(rc == 0, 1) ? MPI_SUCCESS : isend_unpublished(r, rc, fn);
        }
        mreq_free(r);
    }
    return isend(buf, count, type, dest, tag, comm, request, mode, fn);
}

#pragma weak MPI_Isend = PMPI_Isend
FERRY_API int PMPI_Isend(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                         MPI_Comm comm, MPI_Request *request)
{
    LOCKED();
    return isend_fast(buf, count, type, dest, tag, comm, request, SM_STANDARD, "MPI_Isend");
}

#pragma weak MPI_Issend = PMPI_Issend
FERRY_API int PMPI_Issend(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                          MPI_Comm comm, MPI_Request *request)
{
    LOCKED();
    return isend_fast(buf, count, type, dest, tag, comm, request, SM_SYNC, "MPI_Issend");
}

#pragma weak MPI_Irsend = PMPI_Irsend
FERRY_API int PMPI_Irsend(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                          MPI_Comm comm, MPI_Request *request)
{
    LOCKED();
    return isend_fast(buf, count, type, dest, tag, comm, request, SM_READY, "MPI_Irsend");
}

#pragma weak MPI_Ibsend = PMPI_Ibsend
FERRY_API int PMPI_Ibsend(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                          MPI_Comm comm, MPI_Request *request)
{
    LOCKED();
    return isend(buf, count, type, dest, tag, comm, request, SM_BUFFERED, "MPI_Ibsend");
}
