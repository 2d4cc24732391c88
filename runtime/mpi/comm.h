/* Communicators: a group, a context id, an error handler, attributes;
 * the tags and matches of their messages. Part of mpi_impl.h, included
 * through it only. */
#ifndef FERRY_MPI_COMM_H
#define FERRY_MPI_COMM_H

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

/* Context ids are agreed among a parent's members; see ctxid.c. */
void ctxid_init(void);
void ctxid_fini(void);
void ctxid_release(uint32_t ctx);

void keyvals_init(void);
void keyvals_fini(void);
/* Copy c's attributes to n (MPI_Comm_dup); MPI error class. */
int attrs_copy(struct mpi_comm *c, struct mpi_comm *n);
/* Delete every attribute of c, calling delete callbacks. */
int attrs_delete_all(struct mpi_comm *c);
/* Free c's attributes without callbacks (leaked at MPI_Finalize). */
void attrs_drop(struct mpi_comm *c);

#endif
