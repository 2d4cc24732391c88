/* The point-to-point engine: an MPI send or receive becomes one port send
 * or receive on the peer's MPI port, with the communicator's context and
 * the tag in the 64-bit match bits. Contiguous data goes straight from and
 * to the user's buffer; other layouts through a packed copy. */
#include <stdlib.h>

#include "runtime/mpi/mpi_impl.h"

int p2p_start_send(struct mpi_comm *c, const void *buf, int count, struct mpi_dtype *t, int dest,
                   int tag, enum send_mode mode, struct ferry_request **fr, void **tmp)
{
    size_t len = (size_t)count * (size_t)t->size;
    const void *p;
    void *packed = NULL;
    if (!len) {
        p = NULL;
    } else if (!dt_span(t, count, buf, &p)) {
        if (!(packed = malloc(len))) return MPI_ERR_NO_MEM;
        dt_pack(t, count, buf, packed);
        p = packed;
    }
    int rc = port_isend(mpi_port_of(comm_world_rank(c, dest)), p2p_tag(c, tag), p, len,
                        mode == SM_SYNC ? PORT_SEND_SYNC : 0, fr);
    if (rc) {
        free(packed);
        return mpi_class_of(rc);
    }
    *tmp = packed;
    return MPI_SUCCESS;
}

int p2p_start_recv(struct mpi_comm *c, void *buf, int count, struct mpi_dtype *t, int source,
                   int tag, struct ferry_request **fr, void **tmp, size_t *cap)
{
    size_t len = (size_t)count * (size_t)t->size;
    const void *p;
    void *packed = NULL;
    if (!len) {
        p = NULL;
    } else if (!dt_span(t, count, buf, &p)) {
        if (!(packed = malloc(len))) return MPI_ERR_NO_MEM;
        p = packed;
    }
    struct match m = p2p_match(c, source, tag);
    int rc = port_irecv(mpi_s.port, &m, (void *)p, len, PORT_RECV_CONSUME, fr);
    if (rc) {
        free(packed);
        return mpi_class_of(rc);
    }
    *tmp = packed;
    *cap = len;
    return MPI_SUCCESS;
}

int mreq_start(struct mpi_req *r, const char *fn)
{
    r->active = 1;
    r->cancelled = r->settled = 0;
    r->fr = NULL;
    if (r->peer == MPI_PROC_NULL) return MPI_SUCCESS;
    int rc;
    if (r->kind == MR_RECV) {
        rc = p2p_start_recv(r->comm, (void *)r->buf, r->count, r->dt, r->peer, r->tag, &r->fr,
                            &r->tmp, &r->cap);
    } else if (r->mode == SM_BUFFERED) {
        /* Raises its own errors. */
        if ((rc = bsend_start(r->comm, r->buf, r->count, r->dt, r->peer, r->tag, fn)))
            r->active = 0;
        return rc;
    } else {
        rc = p2p_start_send(r->comm, r->buf, r->count, r->dt, r->peer, r->tag,
                            (enum send_mode)r->mode, &r->fr, &r->tmp);
    }
    if (rc) r->active = 0;
    return rc ? p2p_raise(r->comm, rc, fn, NULL) : MPI_SUCCESS;
}

int p2p_raise(struct mpi_comm *c, int err, const char *fn, const MPI_Status *st)
{
    if (err == MPI_ERR_TRUNCATE && st)
        return mpi_err(c, err, fn,
                       "message truncated: the message from rank %d (tag %d) is larger than the "
                       "receive buffer (%lld bytes)",
                       st->MPI_SOURCE, st->MPI_TAG, st->ferry_count);
    char s[MPI_MAX_ERROR_STRING];
    int len;
    PMPI_Error_string(err, s, &len);
    return mpi_err(c, err, fn, "%s", s);
}
