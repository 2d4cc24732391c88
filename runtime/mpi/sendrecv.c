/* MPI_Sendrecv and MPI_Sendrecv_replace: the receive is posted first, so
 * a ring of them never deadlocks. */
#include <stdlib.h>

#include "runtime/mpi/mpi_impl.h"

struct two {
    struct ferry_request *s, *r;
};

static int both_done(void *arg)
{
    struct two *t = arg;
    return (!t->s || t->s->done) && (!t->r || t->r->done);
}

/* Receive into (rbuf, rcount, rt) unless source is MPI_PROC_NULL, send
 * (sbuf, scount, st) unless dest is; wait for both. */
static int exchange(struct mpi_comm *c, const void *sbuf, int scount, struct mpi_dtype *stype,
                    int dest, int stag, void *rbuf, int rcount, struct mpi_dtype *rtype, int source,
                    int rtag, MPI_Status *status, const char *fn)
{
    struct two t = {NULL, NULL};
    void *stmp = NULL, *rtmp = NULL;
    size_t cap = 0;
    int rc, unpack = 0;
    if (source != MPI_PROC_NULL &&
        (rc = p2p_start_recv(c, rbuf, rcount, rtype, source, rtag, &t.r, &rtmp, &cap, &unpack)))
        return p2p_raise(c, rc, fn, NULL);
    if (dest != MPI_PROC_NULL &&
        (rc = p2p_start_send(c, sbuf, scount, stype, dest, stag, SM_STANDARD, &t.s, &stmp))) {
        if (t.r && port_recv_cancel(t.r))
            req_free(t.r);
        else if (t.r) {
            mpi_wait_until(both_done, &t);
            ferry_wait(&t.r, NULL);
        }
        free(rtmp);
        return p2p_raise(c, rc, fn, NULL);
    }
    mpi_wait_until(both_done, &t);
    int serr = t.s ? mpi_class_of(ferry_wait(&t.s, NULL)) : MPI_SUCCESS;
    free(stmp);
    MPI_Status local, *st = status_ignored(status) ? &local : status;
    int rerr = MPI_SUCCESS;
    if (t.r) {
        ferry_status_t fs;
        rerr = mpi_class_of(ferry_wait(&t.r, &fs));
        if (unpack)
            dt_unpack(rtype, rcount, rtmp, (MPI_Count)(fs.size < cap ? fs.size : cap), rbuf);
        status_from_port(st, &fs, c, cap, rerr);
    } else {
        status_proc_null(st);
    }
    free(rtmp);
    if (rerr) return p2p_raise(c, rerr, fn, st);
    return serr ? p2p_raise(c, serr, fn, NULL) : MPI_SUCCESS;
}

#pragma weak MPI_Sendrecv = PMPI_Sendrecv
FERRY_API int PMPI_Sendrecv(const void *sbuf, int scount, MPI_Datatype stype, int dest, int stag,
                            void *rbuf, int rcount, MPI_Datatype rtype, int source, int rtag,
                            MPI_Comm comm, MPI_Status *status)
{
    LOCKED();
    static const char *const FN = "MPI_Sendrecv";
    struct mpi_comm *c;
    struct mpi_dtype *st, *rt;
    int rc;
    if ((rc = check_send(comm, sbuf, scount, stype, dest, stag, FN, &c, &st)) ||
        (rc = check_recv(comm, rbuf, rcount, rtype, source, rtag, FN, &c, &rt)))
        return rc;
    return exchange(c, sbuf, scount, st, dest, stag, rbuf, rcount, rt, source, rtag, status, FN);
}

#pragma weak MPI_Sendrecv_replace = PMPI_Sendrecv_replace
FERRY_API int PMPI_Sendrecv_replace(void *buf, int count, MPI_Datatype type, int dest, int stag,
                                    int source, int rtag, MPI_Comm comm, MPI_Status *status)
{
    LOCKED();
    static const char *const FN = "MPI_Sendrecv_replace";
    struct mpi_comm *c;
    struct mpi_dtype *t;
    int rc;
    if ((rc = check_send(comm, buf, count, type, dest, stag, FN, &c, &t)) ||
        (rc = check_recv(comm, buf, count, type, source, rtag, FN, &c, &t)))
        return rc;
    /* The message arrives packed into a copy and replaces buf once the
     * send no longer needs it. */
    size_t len = (size_t)count * (size_t)t->size;
    void *in = len ? malloc(len) : NULL, *stmp = NULL;
    if (len && !in) return mpi_err(c, MPI_ERR_NO_MEM, FN, "out of memory");
    struct two w = {NULL, NULL};
    if (source != MPI_PROC_NULL) {
        struct match m = p2p_match(c, source, rtag);
        if ((rc = port_irecv(mpi_s.port, &m, in, len, PORT_RECV_CONSUME, &w.r))) {
            free(in);
            return p2p_raise(c, mpi_class_of(rc), FN, NULL);
        }
    }
    if (dest != MPI_PROC_NULL &&
        (rc = p2p_start_send(c, buf, count, t, dest, stag, SM_STANDARD, &w.s, &stmp))) {
        if (w.r && port_recv_cancel(w.r))
            req_free(w.r);
        else if (w.r) {
            mpi_wait_until(both_done, &w);
            ferry_wait(&w.r, NULL);
        }
        free(in);
        return p2p_raise(c, rc, FN, NULL);
    }
    mpi_wait_until(both_done, &w);
    int serr = w.s ? mpi_class_of(ferry_wait(&w.s, NULL)) : MPI_SUCCESS;
    free(stmp);
    MPI_Status local, *st = status_ignored(status) ? &local : status;
    int rerr = MPI_SUCCESS;
    if (w.r) {
        ferry_status_t fs;
        rerr = mpi_class_of(ferry_wait(&w.r, &fs));
        status_from_port(st, &fs, c, len, rerr);
        dt_unpack(t, count, in, st->ferry_count, buf);
    } else {
        status_proc_null(st);
    }
    free(in);
    if (rerr) return p2p_raise(c, rerr, FN, st);
    return serr ? p2p_raise(c, serr, FN, NULL) : MPI_SUCCESS;
}
