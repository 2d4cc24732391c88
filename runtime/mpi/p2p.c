/* The point-to-point engine: an MPI send or receive becomes one port send
 * or receive on the peer's MPI port, with the communicator's context and
 * the tag in the 64-bit match bits. Contiguous data goes straight from and
 * to the user's buffer; other layouts through a packed copy, except large
 * sends on the node, which leave their regions for the receiver to pull,
 * and receives into regions large enough, which land there directly. */
#include <stdlib.h>
#include <sys/uio.h>

#include "runtime/mpi/mpi_impl.h"

/* Below this many bytes per region on average, pack then copy costs less:
 * process_vm_readv pins and maps each remote region on its own, ~0.45 us
 * a region here, while packing moves ~30 GB/s and the copy of the packed
 * bytes costs the same as the pull of the regions would. */
#define REGION_MIN_AVG 16384

/* A receive lands in its own regions (memcpy from an eager frame, or the
 * local side of the pull) from this many bytes per region on average:
 * below, the list costs more to build and walk than unpacking a packed
 * copy. */
#define RECV_REGION_MIN_AVG 256

static long env_min(const char *name, long dflt)
{
    const char *e = getenv(name);
    long v = e ? atol(e) : dflt;
    return v < 1 ? 1 : v;
}

/* Whether count elements of t (len bytes) are few enough regions, each
 * min_avg bytes on average, to be worth a list. */
static int regions_pay(const struct mpi_dtype *t, int count, size_t len, long min_avg)
{
    size_t max = (size_t)count * t->nblocks;
    return max && max <= UINT32_MAX && len / max >= (size_t)min_avg;
}

/* The regions of count elements of t at buf into v (room for count *
 * t->nblocks), adjacent ones merged: how many. */
static uint32_t dt_regions_into(const struct mpi_dtype *t, int count, const void *buf,
                                struct iovec *v)
{
    size_t k = 0;
    MPI_Aint ext = dt_extent(t);
    for (int e = 0; e < count; e++) {
        for (size_t b = 0; b < t->nblocks; b++) {
            size_t blen = (size_t)t->blocks[b].len;
            char *p = addr_add(buf, (MPI_Aint)e * ext + t->blocks[b].off);
            if (!blen) continue;
            if (k && (char *)v[k - 1].iov_base + v[k - 1].iov_len == p)
                v[k - 1].iov_len += blen;
            else
                v[k++] = (struct iovec){p, blen};
        }
    }
    return (uint32_t)k;
}

/* The regions of a send the receiver pulls from where the data lies (no
 * packed copy): the array, or NULL when regions are too small for that to
 * pay (FERRY_IOV_MIN), or too many, or memory is short (packed then). */
static struct iovec *dt_regions(const struct mpi_dtype *t, int count, const void *buf, size_t len,
                                uint32_t *n)
{
    static long min_avg = -1;
    if (min_avg < 0) min_avg = env_min("FERRY_IOV_MIN", REGION_MIN_AVG);
    if (!regions_pay(t, count, len, min_avg)) return NULL;
    struct iovec *v = malloc((size_t)count * t->nblocks * sizeof *v);
    if (v) *n = dt_regions_into(t, count, buf, v);
    return v;
}

/* A receive's scattered buffer (struct port_iov then its regions, one
 * allocation), or NULL when it does not pay (FERRY_IOV_RECV_MIN) or memory
 * is short (the receive goes through a packed copy then). */
static struct port_iov *recv_regions(const struct mpi_dtype *t, int count, void *buf, size_t len)
{
    static long min_avg = -1;
    if (min_avg < 0) min_avg = env_min("FERRY_IOV_RECV_MIN", RECV_REGION_MIN_AVG);
    if (!regions_pay(t, count, len, min_avg)) return NULL;
    struct port_iov *d = malloc(sizeof *d + (size_t)count * t->nblocks * sizeof(struct iovec));
    if (!d) return NULL;
    struct iovec *v = (struct iovec *)(d + 1);
    d->iov = v;
    d->n = dt_regions_into(t, count, buf, v);
    return d;
}

int p2p_start_send(struct mpi_comm *c, const void *buf, int count, struct mpi_dtype *t, int dest,
                   int tag, enum send_mode mode, struct ferry_request **fr, void **tmp)
{
    size_t len = (size_t)count * (size_t)t->size;
    const void *p;
    void *packed = NULL;
    ferry_port_t to = mpi_port_of(comm_world_rank(c, dest));
    unsigned flags = mode == SM_SYNC ? PORT_SEND_SYNC : 0;
    if (!len) {
        p = NULL;
    } else if (!dt_span(t, count, buf, &p)) {
        /* On the node and by rendezvous: the receiver pulls the regions
         * where they lie, one copy. Elsewhere packed, then sent. */
        uint32_t n;
        struct iovec *v = port_sendv_ok(to, len) ? dt_regions(t, count, buf, len, &n) : NULL;
        if (v) {
            int rc = port_isendv(to, p2p_tag(c, tag), v, n, len, flags, fr);
            if (rc) {
                free(v);
                return mpi_class_of(rc);
            }
            *tmp = v;
            return MPI_SUCCESS;
        }
        if (!(packed = malloc(len))) return MPI_ERR_NO_MEM;
        dt_pack(t, count, buf, packed);
        p = packed;
    }
    int rc = port_isend(to, p2p_tag(c, tag), p, len, flags, fr);
    if (rc) {
        free(packed);
        return mpi_class_of(rc);
    }
    *tmp = packed;
    return MPI_SUCCESS;
}

int p2p_start_recv(struct mpi_comm *c, void *buf, int count, struct mpi_dtype *t, int source,
                   int tag, struct ferry_request **fr, void **tmp, size_t *cap, int *unpack)
{
    size_t len = (size_t)count * (size_t)t->size;
    const void *p;
    void *packed = NULL;
    unsigned flags = PORT_RECV_CONSUME;
    *unpack = 0;
    if (!len) {
        p = NULL;
    } else if (!dt_span(t, count, buf, &p)) {
        struct port_iov *d = recv_regions(t, count, buf, len);
        if (d) {
            flags |= PORT_RECV_IOV;
            p = packed = d;
        } else {
            if (!(packed = malloc(len))) return MPI_ERR_NO_MEM;
            p = packed;
            *unpack = 1;
        }
    }
    struct match m = p2p_match(c, source, tag);
    int rc = port_irecv(mpi_s.port, &m, (void *)p, len, flags, fr);
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
        int unpack;
        rc = p2p_start_recv(r->comm, (void *)r->buf, r->count, r->dt, r->peer, r->tag, &r->fr,
                            &r->tmp, &r->cap, &unpack);
        r->settled = !unpack; /* the bytes land in the user's buffer */
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
