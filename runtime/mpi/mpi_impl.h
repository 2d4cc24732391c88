/* The MPI layer's objects and the helpers every MPI source file shares.
 *
 * Each MPI object lives in a handle table of its kind; a handle is
 * kind << 26 | index, as in include/mpi.h. Objects are reference counted:
 * a handle holds one reference, and so does every communicator or pending
 * request that uses the object, so MPI's "free marks for deallocation"
 * rules hold.
 */
#ifndef FERRY_MPI_IMPL_H
#define FERRY_MPI_IMPL_H

#include <stdint.h>

/* Every MPI_ and PMPI_ symbol is exported from the hidden-by-default
 * library: their declarations carry default visibility. */
#pragma GCC visibility push(default)
#include "include/mpi.h"
#pragma GCC visibility pop

#include "include/ferry.h"
#include "runtime/core/api.h"
#include "runtime/port/port.h"
#include "runtime/progress/request.h"

/* --- handles --- */

enum hkind {
    HK_COMM = 1,
    HK_GROUP = 2,
    HK_DTYPE = 3,
    HK_REQ = 4,
    HK_ERRH = 5,
    HK_INFO = 6,
    HK_MSG = 7,
    HK_KEYVAL = 10,
};
#define H_SHIFT         26
#define H_INDEX_MASK    ((1u << H_SHIFT) - 1)
#define H_MAKE(k, i)    ((int)((unsigned)(k) << H_SHIFT | (unsigned)(i)))
#define H_INDEX(h)      ((unsigned)(h)&H_INDEX_MASK)
#define H_IS_KIND(h, k) (((unsigned)(h) >> H_SHIFT) == (unsigned)(k))

struct htab {
    void **slot;
    uint32_t n, cap; /* slots in use up to n (some may be free), allocated */
    uint32_t *free;  /* free indices below n */
    uint32_t nfree, capfree;
    enum hkind kind;
    uint32_t first; /* indices below this are predefined */
};

void htab_init(struct htab *t, enum hkind kind, uint32_t npredefined);
/* Place a predefined object at a fixed index. */
void htab_set(struct htab *t, uint32_t idx, void *obj);
/* A new handle for obj; MPI_ERR_NO_MEM when the table cannot grow. */
int htab_add(struct htab *t, void *obj, int *handle);
void htab_del(struct htab *t, int handle);
void htab_fini(struct htab *t);

static inline void *htab_get(const struct htab *t, int h)
{
    if (!H_IS_KIND(h, t->kind)) return NULL;
    uint32_t i = H_INDEX(h);
    return i < t->n ? t->slot[i] : NULL;
}

/* --- process state --- */

struct mpi_state {
    int initialized, finalized;
    int own_ferry; /* MPI_Init started Ferry, so MPI_Finalize ends it */
    int thread_level;
    int wrank, wsize;
    ferry_port_t port; /* this rank's MPI receive port */
    struct htab comms, groups, dtypes, reqs, errhs, msgs, keyvals;
    int bg_active; /* background work waits in mpi_bg_poll */
};
extern struct mpi_state mpi_s;

/* The MPI receive port of a world rank. */
static inline ferry_port_t mpi_port_of(int wrank)
{
    return (ferry_port_t){(uint32_t)wrank, PORT_MPI, PORT_MPI_GEN};
}

/* --- groups --- */

struct group_rev {
    int w, r;
};

struct mpi_group {
    int handle; /* MPI_GROUP_NULL until a handle is asked for */
    int refs;
    int size;
    int rank;              /* this process's rank, or MPI_UNDEFINED */
    int *w;                /* [size]: world ranks */
    struct group_rev *rev; /* sorted by world rank, built on first use */
};

struct mpi_group *group_new(int size); /* refs 1, w uninitialised */
void group_ref(struct mpi_group *g);
void group_unref(struct mpi_group *g);
/* Fills rank from w; call once w is set. */
void group_set_me(struct mpi_group *g);
/* Rank of world rank w in g, or MPI_UNDEFINED. */
int group_rank_of(struct mpi_group *g, int w);
/* MPI_IDENT, MPI_SIMILAR or MPI_UNEQUAL. */
int group_compare(struct mpi_group *a, struct mpi_group *b);
/* A handle for g, taking a reference. */
int group_handle(struct mpi_group *g, MPI_Group *out);
struct mpi_group *group_get(MPI_Group h);
void groups_init(void);
void groups_fini(void);

/* --- error handlers --- */

enum errh_kind { EH_FATAL, EH_RETURN, EH_USER };

struct mpi_errh {
    int handle;
    int refs;
    enum errh_kind kind;
    MPI_Comm_errhandler_function *fn;
};

void errh_init(void);
void errh_fini(void);
void errh_ref(struct mpi_errh *e);
void errh_unref(struct mpi_errh *e);
struct mpi_errh *errh_get(MPI_Errhandler h);
extern struct mpi_errh errh_fatal, errh_return;

/* --- communicators --- */

struct attr;

struct mpi_comm {
    MPI_Comm handle;
    int refs;
    int freed;    /* MPI_Comm_free was called: the handle is gone */
    uint32_t ctx; /* point-to-point context (even); collectives use ctx | 1 */
    int rank, size;
    int identity; /* rank r is world rank r */
    struct mpi_group *group;
    struct mpi_errh *errh;
    uint32_t coll_seq; /* internal collectives issued on this communicator */
    struct attr *attrs;
    char name[MPI_MAX_OBJECT_NAME];
};

extern struct mpi_comm *mpi_comm_world, *mpi_comm_self;

static inline struct mpi_comm *comm_get(MPI_Comm h)
{
    return (struct mpi_comm *)htab_get(&mpi_s.comms, h);
}

static inline int comm_world_rank(const struct mpi_comm *c, int r)
{
    return c->identity ? r : c->group->w[r];
}

/* Comm rank of a message's world source (status.source). */
static inline int comm_rank_of_world(struct mpi_comm *c, int w)
{
    return c->identity ? w : group_rank_of(c->group, w);
}

/* A communicator over group g (a reference is taken) with context ctx,
 * inheriting parent's error handler; not yet given a handle. */
struct mpi_comm *comm_new(struct mpi_group *g, uint32_t ctx, struct mpi_comm *parent);
int comm_publish(struct mpi_comm *c, MPI_Comm *out);
void comm_ref(struct mpi_comm *c);
void comm_unref(struct mpi_comm *c);
/* Drop the user's handle: attributes deleted, context released. */
int comm_release(struct mpi_comm *c);
int comms_init(void);
void comms_fini(void);

/* Tags: the context in the upper 32 bits, the MPI tag in the lower. */
#define TAG_CTX_MASK 0xffffffff00000000ull
/* The context of a communicator whose id is still being agreed. */
#define CTX_PENDING UINT32_MAX
static inline uint64_t p2p_tag(const struct mpi_comm *c, int tag)
{
    return (uint64_t)c->ctx << 32 | (uint32_t)tag;
}
static inline uint64_t coll_tag(const struct mpi_comm *c, uint32_t low)
{
    return (uint64_t)(c->ctx | 1u) << 32 | low;
}
/* The match for a receive on c from source (comm rank or MPI_ANY_SOURCE)
 * with tag (or MPI_ANY_TAG). */
static inline struct match p2p_match(const struct mpi_comm *c, int source, int tag)
{
    struct match m;
    m.src = source == MPI_ANY_SOURCE ? -1 : comm_world_rank(c, source);
    if (tag == MPI_ANY_TAG) {
        m.tag = (uint64_t)c->ctx << 32;
        m.mask = TAG_CTX_MASK;
    } else {
        m.tag = p2p_tag(c, tag);
        m.mask = ~0ull;
    }
    return m;
}

#define MPI_TAG_MAX 0x7fffffff

/* --- context ids (ctxid.c) --- */

/* Context ids are agreed among a parent's members; see ctxid.c. */
void ctxid_init(void);
void ctxid_fini(void);
void ctxid_release(uint32_t ctx);

/* --- background work and waiting (bg.c) --- */

/* Something the MPI layer advances while any MPI call waits: nonblocking
 * communicator creation, requests freed while still active. */
struct mpi_sched {
    struct mpi_sched *next;
    int (*poll)(struct mpi_sched *s);   /* returns nonzero once finished */
    int (*finish)(struct mpi_sched *s); /* free it once done; returns its MPI error class */
    int done;
};

void bg_add(struct mpi_sched *s);
void bg_remove(struct mpi_sched *s);
void mpi_bg_poll(void);
/* Drive progress (and background work) until done(arg). */
void mpi_wait_until(int (*done)(void *), void *arg);
/* Drive progress once, without blocking (the test calls). */
void mpi_poke(void);

/* --- datatypes --- */

struct dt_block {
    MPI_Aint off, len;
};

/* A run of basic elements of one size, in type-map order. */
struct dt_sig {
    MPI_Count bsize, count;
};

struct mpi_dtype {
    int handle;
    int refs;
    uint8_t predefined, committed;
    uint8_t single; /* one block: a count of 1 is contiguous */
    uint8_t contig; /* one block as long as the extent: any count is contiguous */
    MPI_Count size;
    MPI_Aint lb, ub, true_lb, true_ub;
    MPI_Aint align; /* for the padding of structs */
    MPI_Count nbasic;
    size_t nblocks;
    struct dt_block *blocks; /* one element, in type-map order, adjacent ones merged */
    size_t nsig;
    struct dt_sig *sig;
    char name[MPI_MAX_OBJECT_NAME];
};

static inline struct mpi_dtype *dtype_get(MPI_Datatype h)
{
    return (struct mpi_dtype *)htab_get(&mpi_s.dtypes, h);
}

static inline MPI_Aint dt_extent(const struct mpi_dtype *t)
{
    return t->ub - t->lb;
}

/* Address arithmetic without pointer arithmetic, so MPI_BOTTOM (NULL)
 * plus an absolute address is well defined. */
static inline void *addr_add(const void *p, MPI_Aint off)
{
    return (void *)((uintptr_t)p + (uintptr_t)off);
}

/* Where count elements of t at buf lie when they are one contiguous span:
 * 1 and *p, or 0 when they must be packed. */
static inline int dt_span(const struct mpi_dtype *t, int count, const void *buf, const void **p)
{
    if (t->contig || (t->single && count <= 1)) {
        *p = t->nblocks ? addr_add(buf, t->blocks[0].off) : buf;
        return 1;
    }
    if (!t->nblocks) {
        *p = buf;
        return 1;
    }
    return 0;
}

void dtype_ref(struct mpi_dtype *t);
void dtype_unref(struct mpi_dtype *t);
int dtypes_init(void);
void dtypes_fini(void);
/* A new derived type, not yet published; NULL when out of memory. */
struct mpi_dtype *dtype_alloc(void);
int dtype_publish(struct mpi_dtype *t, MPI_Datatype *out);

/* Copy count elements to/from a packed byte stream. Unpacking stops after
 * nbytes (a short message may end inside an element). */
void dt_pack(const struct mpi_dtype *t, MPI_Count count, const void *buf, void *out);
void dt_unpack(const struct mpi_dtype *t, MPI_Count count, const void *in, MPI_Count nbytes,
               void *buf);
/* Basic elements in nbytes of t's type map, or MPI_UNDEFINED. */
MPI_Count dt_elements(const struct mpi_dtype *t, MPI_Count nbytes);

/* --- requests --- */

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
    void *tmp;  /* packed bytes of a non-contiguous send or receive */
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

/* --- point-to-point engine --- */

/* Start a send or receive into fr (and a packed copy into *tmp). */
int p2p_start_send(struct mpi_comm *c, const void *buf, int count, struct mpi_dtype *t, int dest,
                   int tag, enum send_mode mode, struct ferry_request **fr, void **tmp);
int p2p_start_recv(struct mpi_comm *c, void *buf, int count, struct mpi_dtype *t, int source,
                   int tag, struct ferry_request **fr, void **tmp, size_t *cap);
/* Start the operation persistent request r describes; errors raised as fn. */
int mreq_start(struct mpi_req *r, const char *fn);
/* Raise the error a finished operation reported in st, naming fn. */
int p2p_raise(struct mpi_comm *c, int err, const char *fn, const MPI_Status *st);
/* Buffered send: copied into the attached buffer and started; errors are
 * raised as fn. */
int bsend_start(struct mpi_comm *c, const void *buf, int count, struct mpi_dtype *t, int dest,
                int tag, const char *fn);
int bsend_detach_all(void **addr, int *size);

/* --- statuses --- */

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

/* --- errors --- */

int mpi_class_of(int ferry_err);
/* Raise an error of class cls in function fn on communicator c (NULL:
 * MPI_COMM_WORLD): the error handler runs (the default aborts the job);
 * returns cls for MPI_ERRORS_RETURN. */
int mpi_err(struct mpi_comm *c, int cls, const char *fn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A call made before MPI_Init or after MPI_Finalize. */
__attribute__((noreturn)) int mpi_err_state(const char *fn);
_Noreturn void mpi_abort_job(int code);

#define MPI_CHECK_INIT(fn)                                                                         \
    do {                                                                                           \
        if (__builtin_expect(!mpi_s.initialized, 0)) return mpi_err_state(fn);                     \
    } while (0)

/* --- attributes (attr.c) --- */

void keyvals_init(void);
void keyvals_fini(void);
/* Copy c's attributes to n (MPI_Comm_dup); MPI error class. */
int attrs_copy(struct mpi_comm *c, struct mpi_comm *n);
/* Delete every attribute of c, calling delete callbacks. */
int attrs_delete_all(struct mpi_comm *c);
/* Free c's attributes without callbacks (leaked at MPI_Finalize). */
void attrs_drop(struct mpi_comm *c);

/* --- Mprobe messages --- */

struct mpi_msg {
    int handle;
    struct ferry_msg *m;
    struct mpi_comm *comm; /* referenced */
};
void msgs_fini(void);

#include "runtime/mpi/check.h"

#endif
