/* New communicators from old: dup, idup, split, split_type, create. Each
 * agrees on a context id over the parent (ctxid.c). */
#include <stdlib.h>

#include "runtime/mpi/ctxid.h"

static int check_info(struct mpi_comm *c, MPI_Info info, const char *fn)
{
    /* No info object can be created yet, so only MPI_INFO_NULL is valid. */
    if (info != MPI_INFO_NULL)
        return mpi_err(c, MPI_ERR_INFO, fn, "invalid info object %#x", (unsigned)info);
    return MPI_SUCCESS;
}

/* A member's new communicator over g with context ctx: attributes copied
 * from parent when dup is set. */
static int make_comm(struct mpi_comm *parent, struct mpi_group *g, uint32_t ctx, int dup,
                     MPI_Comm *out, const char *fn)
{
    struct mpi_comm *n = comm_new(g, ctx, parent);
    if (!n) {
        ctxid_release(ctx);
        return mpi_err(parent, MPI_ERR_NO_MEM, fn, "out of memory");
    }
    int rc = dup ? attrs_copy(parent, n) : MPI_SUCCESS;
    if (!rc) rc = comm_publish(n, out);
    if (rc) {
        attrs_drop(n);
        ctxid_release(ctx);
        comm_unref(n);
        return mpi_err(parent, rc, fn, "%s",
                       rc == MPI_ERR_NO_MEM ? "out of memory"
                                            : "an attribute copy callback failed");
    }
    return MPI_SUCCESS;
}

static int dup_comm(MPI_Comm comm, MPI_Comm *out, const char *fn)
{
    struct mpi_comm *c;
    int rc = check_comm(comm, fn, &c);
    if (rc) return rc;
    if (!out) return mpi_err(c, MPI_ERR_ARG, fn, "null result pointer");
    uint32_t ctx;
    if ((rc = ctx_agree(c, &ctx))) return mpi_err(c, rc, fn, "agreeing on a context id failed");
    return make_comm(c, c->group, ctx, 1, out, fn);
}

#pragma weak MPI_Comm_dup = PMPI_Comm_dup
FERRY_API int PMPI_Comm_dup(MPI_Comm comm, MPI_Comm *newcomm)
{
    LOCKED();
    return dup_comm(comm, newcomm, "MPI_Comm_dup");
}

#pragma weak MPI_Comm_dup_with_info = PMPI_Comm_dup_with_info
FERRY_API int PMPI_Comm_dup_with_info(MPI_Comm comm, MPI_Info info, MPI_Comm *newcomm)
{
    LOCKED();
    static const char *const FN = "MPI_Comm_dup_with_info";
    struct mpi_comm *c;
    int rc = check_comm(comm, FN, &c);
    if (rc || (rc = check_info(c, info, FN))) return rc;
    return dup_comm(comm, newcomm, FN);
}

/* MPI_Comm_idup: the new communicator exists at once (attributes copied
 * now, as the standard says); its context arrives in the background. */
struct idup {
    struct mpi_sched s;
    struct ctx_agree a;
    struct mpi_comm *n; /* referenced */
};

static int idup_poll(struct mpi_sched *s)
{
    struct idup *d = (struct idup *)s;
    if (!ctx_agree_poll(&d->a)) return 0;
    if (!d->a.error) d->n->ctx = d->a.ctx;
    return 1;
}

static int idup_finish(struct mpi_sched *s)
{
    struct idup *d = (struct idup *)s;
    int err = d->a.error;
    comm_unref(d->n);
    free(d);
    return err;
}

#pragma weak MPI_Comm_idup = PMPI_Comm_idup
FERRY_API int PMPI_Comm_idup(MPI_Comm comm, MPI_Comm *newcomm, MPI_Request *request)
{
    LOCKED();
    static const char *const FN = "MPI_Comm_idup";
    struct mpi_comm *c;
    int rc = check_comm(comm, FN, &c);
    if (rc) return rc;
    if (!newcomm || !request) return mpi_err(c, MPI_ERR_ARG, FN, "null result pointer");
    struct idup *d = calloc(1, sizeof *d);
    struct mpi_req *r = mreq_new(MR_SCHED, c);
    if (!d || !r) goto nomem;
    d->n = comm_new(c->group, CTX_PENDING, c);
    if (!d->n) goto nomem;
    if ((rc = attrs_copy(c, d->n)) || (rc = comm_publish(d->n, newcomm)) ||
        (rc = mreq_publish(r, request))) {
        attrs_drop(d->n);
        if (d->n->handle != MPI_COMM_NULL) htab_del(&mpi_s.comms, d->n->handle);
        comm_unref(d->n);
        free(d);
        mreq_free(r);
        return mpi_err(c, rc, FN, "%s",
                       rc == MPI_ERR_NO_MEM ? "out of memory"
                                            : "an attribute copy callback failed");
    }
    comm_ref(d->n); /* the schedule's reference; the handle holds the first */
    d->s.poll = idup_poll;
    d->s.finish = idup_finish;
    r->sched = &d->s;
    ctx_agree_start(&d->a, c);
    bg_add(&d->s);
    return MPI_SUCCESS;
nomem:
    free(d);
    if (r) mreq_free(r);
    return mpi_err(c, MPI_ERR_NO_MEM, FN, "out of memory");
}

struct member {
    int key, rank;
};

static int member_cmp(const void *a, const void *b)
{
    const struct member *x = a, *y = b;
    if (x->key != y->key) return (x->key > y->key) - (x->key < y->key);
    return (x->rank > y->rank) - (x->rank < y->rank);
}

static int split(struct mpi_comm *c, int color, int key, MPI_Comm *out, const char *fn)
{
    int mine[2] = {color, key};
    int *all = malloc((size_t)c->size * 2 * sizeof *all);
    struct member *m = malloc((size_t)c->size * sizeof *m);
    if (!all || !m) {
        free(all);
        free(m);
        return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    }
    uint32_t ctx;
    int rc = coll_allgather_int(c, mine, 2, all);
    if (!rc) rc = ctx_agree(c, &ctx);
    if (rc) {
        free(all);
        free(m);
        return mpi_err(c, rc, fn, "exchanging colors and keys failed");
    }
    if (color == MPI_UNDEFINED) {
        ctxid_release(ctx);
        free(all);
        free(m);
        *out = MPI_COMM_NULL;
        return MPI_SUCCESS;
    }
    int n = 0;
    for (int i = 0; i < c->size; i++)
        if (all[2 * i] == color) m[n++] = (struct member){all[2 * i + 1], i};
    free(all);
    qsort(m, (size_t)n, sizeof *m, member_cmp);
    struct mpi_group *g = group_new(n);
    if (!g) {
        free(m);
        ctxid_release(ctx);
        return mpi_err(c, MPI_ERR_NO_MEM, fn, "out of memory");
    }
    for (int i = 0; i < n; i++) g->w[i] = comm_world_rank(c, m[i].rank);
    free(m);
    group_set_me(g);
    rc = make_comm(c, g, ctx, 0, out, fn);
    group_unref(g);
    return rc;
}

#pragma weak MPI_Comm_split = PMPI_Comm_split
FERRY_API int PMPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm *newcomm)
{
    LOCKED();
    static const char *const FN = "MPI_Comm_split";
    struct mpi_comm *c;
    int rc = check_comm(comm, FN, &c);
    if (rc) return rc;
    if (!newcomm) return mpi_err(c, MPI_ERR_ARG, FN, "null result pointer");
    if (color < 0 && color != MPI_UNDEFINED)
        return mpi_err(c, MPI_ERR_ARG, FN, "invalid color %d (negative)", color);
    return split(c, color, key, newcomm, FN);
}

#pragma weak MPI_Comm_split_type = PMPI_Comm_split_type
FERRY_API int PMPI_Comm_split_type(MPI_Comm comm, int type, int key, MPI_Info info,
                                   MPI_Comm *newcomm)
{
    LOCKED();
    static const char *const FN = "MPI_Comm_split_type";
    struct mpi_comm *c;
    int rc = check_comm(comm, FN, &c);
    if (rc || (rc = check_info(c, info, FN))) return rc;
    if (!newcomm) return mpi_err(c, MPI_ERR_ARG, FN, "null result pointer");
    if (type != MPI_COMM_TYPE_SHARED && type != MPI_UNDEFINED)
        return mpi_err(c, MPI_ERR_ARG, FN, "invalid split type %d", type);
    /* Ranks that share memory share a node: the color is the node's
     * lowest world rank. */
    int color = MPI_UNDEFINED;
    if (type == MPI_COMM_TYPE_SHARED)
        for (color = 0; !ferry_is_local(color); color++) continue;
    return split(c, color, key, newcomm, FN);
}

#pragma weak MPI_Comm_create = PMPI_Comm_create
FERRY_API int PMPI_Comm_create(MPI_Comm comm, MPI_Group group, MPI_Comm *newcomm)
{
    LOCKED();
    static const char *const FN = "MPI_Comm_create";
    struct mpi_comm *c;
    int rc = check_comm(comm, FN, &c);
    if (rc) return rc;
    struct mpi_group *g = group_get(group);
    if (!g) return mpi_err(c, MPI_ERR_GROUP, FN, "invalid group %#x", (unsigned)group);
    if (!newcomm) return mpi_err(c, MPI_ERR_ARG, FN, "null result pointer");
    for (int i = 0; i < g->size; i++)
        if (group_rank_of(c->group, g->w[i]) == MPI_UNDEFINED)
            return mpi_err(c, MPI_ERR_GROUP, FN,
                           "the group is not a subset of the communicator's (world rank %d)",
                           g->w[i]);
    uint32_t ctx;
    if ((rc = ctx_agree(c, &ctx))) return mpi_err(c, rc, FN, "agreeing on a context id failed");
    if (g->rank == MPI_UNDEFINED) {
        ctxid_release(ctx);
        *newcomm = MPI_COMM_NULL;
        return MPI_SUCCESS;
    }
    return make_comm(c, g, ctx, 0, newcomm, FN);
}
