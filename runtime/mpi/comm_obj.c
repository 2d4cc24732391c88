/* Communicator objects: a group, a context id, an error handler, attributes.
 * MPI_COMM_WORLD has context 0 and MPI_COMM_SELF context 2 everywhere. */
#include <stdlib.h>
#include <string.h>

#include "runtime/mpi/mpi_impl.h"

struct mpi_comm *mpi_comm_world, *mpi_comm_self;

struct mpi_comm *comm_new(struct mpi_group *g, uint32_t ctx, struct mpi_comm *parent)
{
    struct mpi_comm *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->handle = MPI_COMM_NULL;
    c->refs = 1;
    c->ctx = ctx;
    c->group = g;
    group_ref(g);
    c->rank = g->rank;
    c->size = g->size;
    c->identity = g->size == mpi_s.wsize;
    for (int i = 0; i < g->size && c->identity; i++) c->identity = g->w[i] == i;
    c->errh = parent ? parent->errh : &errh_fatal;
    errh_ref(c->errh);
    return c;
}

int comm_publish(struct mpi_comm *c, MPI_Comm *out)
{
    int rc = htab_add(&mpi_s.comms, c, &c->handle);
    if (rc) return rc;
    *out = c->handle;
    return MPI_SUCCESS;
}

void comm_ref(struct mpi_comm *c)
{
    c->refs++;
}

void comm_unref(struct mpi_comm *c)
{
    if (--c->refs > 0) return;
    group_unref(c->group);
    errh_unref(c->errh);
    free(c);
}

int comm_release(struct mpi_comm *c)
{
    int rc = attrs_delete_all(c);
    if (rc) return rc;
    ctxid_release(c->ctx);
    htab_del(&mpi_s.comms, c->handle);
    c->freed = 1;
    comm_unref(c);
    return MPI_SUCCESS;
}

static struct mpi_comm *predefined(int size, int first, uint32_t ctx, MPI_Comm h, const char *name)
{
    struct mpi_group *g = group_new(size);
    if (!g) return NULL;
    for (int i = 0; i < size; i++) g->w[i] = first + i;
    group_set_me(g);
    struct mpi_comm *c = comm_new(g, ctx, NULL);
    group_unref(g);
    if (!c) return NULL;
    c->handle = h;
    strcpy(c->name, name);
    htab_set(&mpi_s.comms, H_INDEX(h), c);
    return c;
}

int comms_init(void)
{
    htab_init(&mpi_s.comms, HK_COMM, 3);
    if (!mpi_s.comms.slot) return MPI_ERR_NO_MEM;
    mpi_comm_world = predefined(mpi_s.wsize, 0, 0, MPI_COMM_WORLD, "MPI_COMM_WORLD");
    mpi_comm_self = predefined(1, mpi_s.wrank, 2, MPI_COMM_SELF, "MPI_COMM_SELF");
    return mpi_comm_world && mpi_comm_self ? MPI_SUCCESS : MPI_ERR_NO_MEM;
}

void comms_fini(void)
{
    /* Communicators the program never freed, then the predefined ones. */
    for (uint32_t i = 1; i < mpi_s.comms.n; i++) {
        struct mpi_comm *c = mpi_s.comms.slot[i];
        if (!c) continue;
        attrs_drop(c);
        mpi_s.comms.slot[i] = NULL;
        comm_unref(c);
    }
    mpi_comm_world = mpi_comm_self = NULL;
    htab_fini(&mpi_s.comms);
}
