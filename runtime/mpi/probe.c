/* Probes and matched probes: a look at the MPI port's queue, and taking a
 * message out of it so that only MPI_Mrecv can receive it. */
#include <stdlib.h>

#include "runtime/mpi/mpi_impl.h"

static int probe_args(int source, int tag, MPI_Comm comm, const char *fn, struct mpi_comm **c)
{
    int rc;
    if ((rc = check_comm(comm, fn, c)) || (rc = check_source(*c, source, fn)) ||
        (rc = check_recv_tag(*c, tag, fn)))
        return rc;
    return MPI_SUCCESS;
}

struct probe {
    struct mpi_comm *c;
    struct match m;
    int matched; /* Mprobe: take the message */
    int flag;
    ferry_status_t fs;
    struct ferry_msg *msg;
    int rc;
};

static int probe_once(void *arg)
{
    struct probe *p = arg;
    if (p->matched) {
        p->rc = port_improbe(mpi_s.port, &p->m, &p->msg, &p->fs);
        p->flag = p->msg != NULL;
    } else {
        p->rc = port_iprobe(mpi_s.port, &p->m, &p->flag, &p->fs);
    }
    return p->flag || p->rc;
}

static void probe_status(struct probe *p, MPI_Status *status)
{
    if (!status_ignored(status)) status_from_port(status, &p->fs, p->c, SIZE_MAX, MPI_SUCCESS);
}

/* A handle for a matched message; its communicator stays referenced. */
static int message_handle(struct probe *p, MPI_Message *out)
{
    struct mpi_msg *mm = malloc(sizeof *mm);
    if (!mm) return MPI_ERR_NO_MEM;
    *mm = (struct mpi_msg){MPI_MESSAGE_NULL, p->msg, p->c};
    if (htab_add(&mpi_s.msgs, mm, &mm->handle)) {
        free(mm);
        return MPI_ERR_NO_MEM;
    }
    comm_ref(p->c);
    *out = mm->handle;
    return MPI_SUCCESS;
}

static int probe(int source, int tag, MPI_Comm comm, int blocking, int matched, int *flag,
                 MPI_Message *message, MPI_Status *status, const char *fn)
{
    struct probe p = {0};
    int rc = probe_args(source, tag, comm, fn, &p.c);
    if (rc) return rc;
    if ((!blocking && !flag) || (matched && !message))
        return mpi_err(p.c, MPI_ERR_ARG, fn, "null result pointer");
    if (source == MPI_PROC_NULL) {
        if (flag) *flag = 1;
        if (message) *message = MPI_MESSAGE_NO_PROC;
        if (!status_ignored(status)) status_proc_null(status);
        return MPI_SUCCESS;
    }
    p.m = p2p_match(p.c, source, tag);
    p.matched = matched;
    if (mpi_s.bg_active) mpi_bg_poll();
    if (blocking)
        mpi_wait_until(probe_once, &p);
    else
        probe_once(&p);
    if (p.rc) return p2p_raise(p.c, mpi_class_of(p.rc), fn, NULL);
    if (flag) *flag = p.flag;
    if (!p.flag) return MPI_SUCCESS;
    if (matched && (rc = message_handle(&p, message))) {
        /* Cannot hand it out: receive it nowhere, freeing its sender. */
        struct ferry_request *fr;
        if (!port_imrecv(p.msg, NULL, 0, &fr)) ferry_wait(&fr, NULL);
        return mpi_err(p.c, rc, fn, "out of memory");
    }
    probe_status(&p, status);
    return MPI_SUCCESS;
}

#pragma weak MPI_Probe = PMPI_Probe
FERRY_API int PMPI_Probe(int source, int tag, MPI_Comm comm, MPI_Status *status)
{
    LOCKED();
    return probe(source, tag, comm, 1, 0, NULL, NULL, status, "MPI_Probe");
}

#pragma weak MPI_Iprobe = PMPI_Iprobe
FERRY_API int PMPI_Iprobe(int source, int tag, MPI_Comm comm, int *flag, MPI_Status *status)
{
    LOCKED();
    return probe(source, tag, comm, 0, 0, flag, NULL, status, "MPI_Iprobe");
}

#pragma weak MPI_Mprobe = PMPI_Mprobe
FERRY_API int PMPI_Mprobe(int source, int tag, MPI_Comm comm, MPI_Message *message,
                          MPI_Status *status)
{
    LOCKED();
    return probe(source, tag, comm, 1, 1, NULL, message, status, "MPI_Mprobe");
}

#pragma weak MPI_Improbe = PMPI_Improbe
FERRY_API int PMPI_Improbe(int source, int tag, MPI_Comm comm, int *flag, MPI_Message *message,
                           MPI_Status *status)
{
    LOCKED();
    return probe(source, tag, comm, 0, 1, flag, message, status, "MPI_Improbe");
}

void msgs_fini(void)
{
    /* Matched messages never received: release their senders. */
    for (uint32_t i = mpi_s.msgs.first; i < mpi_s.msgs.n; i++) {
        struct mpi_msg *mm = mpi_s.msgs.slot[i];
        if (!mm) continue;
        struct ferry_request *fr;
        if (!port_imrecv(mm->m, NULL, 0, &fr)) ferry_wait(&fr, NULL);
        comm_unref(mm->comm);
        free(mm);
    }
    htab_fini(&mpi_s.msgs);
}

/* Start receiving matched message *message into a request of kind recv. */
static int mrecv_start(void *buf, int count, MPI_Datatype type, MPI_Message *message,
                       const char *fn, struct mpi_req **out)
{
    MPI_CHECK_INIT(fn);
    if (!message) return mpi_err(NULL, MPI_ERR_ARG, fn, "null message pointer");
    struct mpi_msg *mm = *message == MPI_MESSAGE_NO_PROC ? NULL : htab_get(&mpi_s.msgs, *message);
    if (*message != MPI_MESSAGE_NO_PROC && !mm)
        return mpi_err(NULL, MPI_ERR_REQUEST, fn, "invalid message %#x", (unsigned)*message);
    struct mpi_comm *c = mm ? mm->comm : mpi_comm_self;
    struct mpi_dtype *t;
    int rc;
    if ((rc = check_count(c, count, fn)) || (rc = check_dtype(c, type, fn, &t)) ||
        (rc = check_buf(c, buf, count, t, fn)))
        return rc;
    struct mpi_req *r = mreq_new(MR_RECV, c);
    if (!r) return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    r->buf = buf;
    r->count = count;
    r->dt = t;
    dtype_ref(t);
    r->peer = MPI_PROC_NULL;
    if (mm) {
        size_t len = (size_t)count * (size_t)t->size;
        const void *p = NULL;
        if (len && !dt_span(t, count, buf, &p)) {
            if (!(r->tmp = malloc(len))) {
                mreq_free(r);
                return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
            }
            p = r->tmp;
        }
        if ((rc = port_imrecv(mm->m, (void *)p, len, &r->fr))) {
            mreq_free(r);
            return p2p_raise(c, mpi_class_of(rc), fn, NULL);
        }
        r->cap = len;
        r->peer = 0; /* not MPI_PROC_NULL: the status comes from the message */
        htab_del(&mpi_s.msgs, mm->handle);
        comm_unref(mm->comm);
        free(mm);
    }
    *message = MPI_MESSAGE_NULL;
    *out = r;
    return MPI_SUCCESS;
}

static int fr_done(void *arg)
{
    return mreq_done(arg);
}

#pragma weak MPI_Mrecv = PMPI_Mrecv
FERRY_API int PMPI_Mrecv(void *buf, int count, MPI_Datatype type, MPI_Message *message,
                         MPI_Status *status)
{
    LOCKED();
    static const char *const FN = "MPI_Mrecv";
    struct mpi_req *r;
    int rc = mrecv_start(buf, count, type, message, FN, &r);
    if (rc) return rc;
    if (!mreq_done(r)) mpi_wait_until(fr_done, r);
    MPI_Status local, *st = status_ignored(status) ? &local : status;
    MPI_Request h = MPI_REQUEST_NULL;
    struct mpi_comm *ec;
    int err = mreq_complete(&h, r, st, &ec);
    if (!err) return MPI_SUCCESS;
    rc = p2p_raise(ec, err, FN, st);
    comm_unref(ec);
    return rc;
}

#pragma weak MPI_Imrecv = PMPI_Imrecv
FERRY_API int PMPI_Imrecv(void *buf, int count, MPI_Datatype type, MPI_Message *message,
                          MPI_Request *request)
{
    LOCKED();
    static const char *const FN = "MPI_Imrecv";
    if (!request) return mpi_err(NULL, MPI_ERR_ARG, FN, "null request pointer");
    struct mpi_req *r;
    int rc = mrecv_start(buf, count, type, message, FN, &r);
    if (rc) return rc;
    if ((rc = mreq_publish(r, request))) {
        if (!mreq_done(r)) mpi_wait_until(fr_done, r);
        mreq_finish(r, NULL);
        mreq_free(r);
        return mpi_err(NULL, rc, FN, "out of memory");
    }
    return MPI_SUCCESS;
}
