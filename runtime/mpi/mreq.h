/* MPI requests, the point-to-point engine behind them, statuses and
 * matched messages. Part of mpi_impl.h, included through it only. */
#ifndef FERRY_MPI_MREQ_H
#define FERRY_MPI_MREQ_H

enum mreq_kind {
    MR_SEND,
    MR_RECV,
    MR_SCHED, /* background work: MPI_Comm_idup */
};

enum send_mode { SM_STANDARD, SM_SYNC, SM_READY, SM_BUFFERED };

struct mpi_req {
    MPI_Request handle;
    uint8_t kind;
    uint8_t persistent, active;
    uint8_t cancelled, settled;
    uint8_t mode; /* enum send_mode */
    /* NULL while active: finished at once (MPI_PROC_NULL, a buffered send)
     * or a cancelled receive. */
    struct ferry_request *fr;
    struct mpi_comm *comm; /* referenced */
    /* The operation, kept to restart a persistent request and to unpack. */
    const void *buf;
    int count;
    struct mpi_dtype *dt; /* referenced */
    int peer, tag;
    void *tmp;  /* packed bytes of a non-contiguous send or receive, or its regions */
    size_t cap; /* receive capacity in bytes */
    struct mpi_sched *sched;
    struct mpi_req *orphan_next;
};

struct mpi_req *mreq_new(enum mreq_kind kind, struct mpi_comm *c);
int mreq_publish(struct mpi_req *r, MPI_Request *out);
/* Whether r has finished (after progress). */
int mreq_done(const struct mpi_req *r);
/* Finish a done request: fill st (may be NULL), release what it held,
 * leave a persistent one inactive. Returns its error class. */
int mreq_finish(struct mpi_req *r, MPI_Status *st);
/* Drop the handle of an inactive request, or of a finished one. */
void mreq_free(struct mpi_req *r);
/* Finish done request r (handle *h) and free it unless persistent. On an
 * error, *errc is r's communicator, referenced, to raise it on. */
int mreq_complete(MPI_Request *h, struct mpi_req *r, MPI_Status *st, struct mpi_comm **errc);
/* Validate an array of request handles (nulls allowed). */
int mreq_lookup(int count, const MPI_Request *reqs, const char *fn);
/* Raise MPI_ERR_IN_STATUS for request index's error on c, dropping c. */
int raise_in_status(struct mpi_comm *c, const char *fn, int index, int err);
/* Shared by the wait and test calls (wait.c): complete the done requests
 * (indices: report which, compacted), the first done one, whether any is
 * active. */
int complete_done(int n, MPI_Request *reqs, MPI_Status *sts, int *outcount, int *indices,
                  const char *fn);
int complete_any(int count, MPI_Request reqs[], int *index, MPI_Status *status, const char *fn);
int any_active(int count, const MPI_Request reqs[]);
/* MPI_Request_free on an active request: it completes in the background. */
void mreq_orphan(struct mpi_req *r);
/* Status of a done request without finishing it (MPI_Request_get_status). */
int mreq_peek(struct mpi_req *r, MPI_Status *st);
static inline struct mpi_req *mreq_get(MPI_Request h)
{
    return (struct mpi_req *)htab_get(&mpi_s.reqs, h);
}
void reqs_fini(void);

/* Start a send or receive into fr. *tmp: what to free once it is done (a
 * packed copy, or a list of regions); for a receive, *unpack says whether
 * *tmp is a packed copy to unpack into buf (else the bytes land in buf). */
int p2p_start_send(struct mpi_comm *c, const void *buf, int count, struct mpi_dtype *t, int dest,
                   int tag, enum send_mode mode, struct ferry_request **fr, void **tmp);
int p2p_start_recv(struct mpi_comm *c, void *buf, int count, struct mpi_dtype *t, int source,
                   int tag, struct ferry_request **fr, void **tmp, size_t *cap, int *unpack);
/* Start the operation persistent request r describes; errors raised as fn. */
int mreq_start(struct mpi_req *r, const char *fn);
/* Raise the error a finished operation reported in st, naming fn. */
int p2p_raise(struct mpi_comm *c, int err, const char *fn, const MPI_Status *st);
/* Buffered send: copied into the attached buffer and started; errors are
 * raised as fn. */
int bsend_start(struct mpi_comm *c, const void *buf, int count, struct mpi_dtype *t, int dest,
                int tag, const char *fn);
int bsend_detach_all(void **addr, int *size);

static inline void status_empty(MPI_Status *st)
{
    st->MPI_SOURCE = MPI_ANY_SOURCE;
    st->MPI_TAG = MPI_ANY_TAG;
    st->MPI_ERROR = MPI_SUCCESS;
    st->ferry_cancelled = 0;
    st->ferry_count = 0;
}

static inline void status_proc_null(MPI_Status *st)
{
    st->MPI_SOURCE = MPI_PROC_NULL;
    st->MPI_TAG = MPI_ANY_TAG;
    st->MPI_ERROR = MPI_SUCCESS;
    st->ferry_cancelled = 0;
    st->ferry_count = 0;
}

static inline int status_ignored(const MPI_Status *st)
{
    return st == MPI_STATUS_IGNORE || !st;
}

/* An MPI status from a port status on c; cap bounds the count of a
 * truncated receive. */
void status_from_port(MPI_Status *st, const ferry_status_t *fs, struct mpi_comm *c, size_t cap,
                      int err);

struct mpi_msg {
    int handle;
    struct ferry_msg *m;
    struct mpi_comm *comm; /* referenced */
};
void msgs_fini(void);

#endif
