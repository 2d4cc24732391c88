/* Buffered sends: the message is packed into the buffer the program
 * attached and sent from there, so the call returns at once. Each message
 * takes its size plus MPI_BSEND_OVERHEAD bytes of the buffer until its
 * send completes; the bookkeeping itself lives outside the buffer. */
#include <stdlib.h>

#include "runtime/mpi/mpi_impl.h"

struct seg {
    struct seg *next; /* by offset */
    size_t off, size;
    struct ferry_request *fr;
};

static struct {
    char *base;
    size_t size;
    int attached;
    struct seg *segs;
} bb;

/* Release the space of finished sends; returns how many are still going. */
static int reclaim(void)
{
    int pending = 0;
    for (struct seg **p = &bb.segs; *p;) {
        struct seg *s = *p;
        if (s->fr->done) {
            ferry_wait(&s->fr, NULL);
            *p = s->next;
            free(s);
        } else {
            pending++;
            p = &s->next;
        }
    }
    return pending;
}

/* First fit: the link after which a gap of need bytes starts (*at). */
static struct seg **find_gap(size_t need, size_t *at)
{
    size_t end = 0;
    struct seg **p = &bb.segs;
    for (; *p; p = &(*p)->next) {
        if ((*p)->off - end >= need) break;
        end = (*p)->off + (*p)->size;
    }
    if (!*p && bb.size - end < need) return NULL;
    *at = end;
    return p;
}

static int some_done(void *arg)
{
    for (struct seg *s = bb.segs; s; s = s->next)
        if (s->fr->done) return 1;
    return !bb.segs;
}

int bsend_start(struct mpi_comm *c, const void *buf, int count, struct mpi_dtype *t, int dest,
                int tag, const char *fn)
{
    size_t len = (size_t)count * (size_t)t->size, need = len + MPI_BSEND_OVERHEAD, at = 0;
    struct seg **p;
    /* Sends still going free their space as they finish. */
    for (;;) {
        int pending = bb.attached ? reclaim() : 0;
        if (bb.attached && (p = find_gap(need, &at))) break;
        if (!pending)
            return mpi_err(c, MPI_ERR_BUFFER, fn,
                           bb.attached ? "the attached buffer (%zu bytes) has no room for a "
                                         "%zu-byte message plus MPI_BSEND_OVERHEAD"
                                       : "no buffer attached (%zu bytes) for a %zu-byte message",
                           bb.size, len);
        mpi_wait_until(some_done, NULL);
    }
    struct seg *s = malloc(sizeof *s);
    if (!s) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    char *data = bb.base + at;
    if (len) dt_pack(t, count, buf, data);
    int rc =
        port_isend(mpi_port_of(comm_world_rank(c, dest)), p2p_tag(c, tag), data, len, 0, &s->fr);
    if (rc) {
        free(s);
        return p2p_raise(c, mpi_class_of(rc), fn, NULL);
    }
    s->off = at;
    s->size = need;
    s->next = *p;
    *p = s;
    return MPI_SUCCESS;
}

#pragma weak MPI_Bsend = PMPI_Bsend
FERRY_API int PMPI_Bsend(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                         MPI_Comm comm)
{
    LOCKED();
    static const char *const FN = "MPI_Bsend";
    struct mpi_comm *c;
    struct mpi_dtype *t;
    int rc = check_send(comm, buf, count, type, dest, tag, FN, &c, &t);
    if (rc) return rc;
    if (dest == MPI_PROC_NULL) return MPI_SUCCESS;
    return bsend_start(c, buf, count, t, dest, tag, FN);
}

#pragma weak MPI_Buffer_attach = PMPI_Buffer_attach
FERRY_API int PMPI_Buffer_attach(void *buffer, int size)
{
    LOCKED();
    static const char *const FN = "MPI_Buffer_attach";
    MPI_CHECK_INIT(FN);
    if (bb.attached)
        return mpi_err(NULL, MPI_ERR_BUFFER, FN, "a buffer is already attached (%zu bytes)",
                       bb.size);
    if (size < 0) return mpi_err(NULL, MPI_ERR_ARG, FN, "invalid size %d (negative)", size);
    if (!buffer && size) return mpi_err(NULL, MPI_ERR_BUFFER, FN, "null buffer");
    bb.base = buffer;
    bb.size = (size_t)size;
    bb.attached = 1;
    return MPI_SUCCESS;
}

static int all_done(void *arg)
{
    return !reclaim();
}

int bsend_detach_all(void **addr, int *size)
{
    if (!bb.attached) return MPI_ERR_BUFFER;
    /* Detaching waits for every message sent from the buffer. */
    mpi_wait_until(all_done, NULL);
    *addr = bb.base;
    *size = (int)bb.size;
    bb.attached = 0;
    bb.base = NULL;
    bb.size = 0;
    return MPI_SUCCESS;
}

#pragma weak MPI_Buffer_detach = PMPI_Buffer_detach
FERRY_API int PMPI_Buffer_detach(void *buffer_addr, int *size)
{
    LOCKED();
    static const char *const FN = "MPI_Buffer_detach";
    MPI_CHECK_INIT(FN);
    if (!buffer_addr || !size) return mpi_err(NULL, MPI_ERR_ARG, FN, "null result pointer");
    void *addr;
    if (bsend_detach_all(&addr, size))
        return mpi_err(NULL, MPI_ERR_BUFFER, FN, "no buffer attached");
    *(void **)buffer_addr = addr;
    return MPI_SUCCESS;
}
