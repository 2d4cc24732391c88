/* Group objects: an ordered list of world ranks, shared by reference. */
#include <stdlib.h>

#include "runtime/mpi/mpi_impl.h"

static struct mpi_group empty = {MPI_GROUP_EMPTY, 1, 0, MPI_UNDEFINED, NULL, NULL};

void groups_init(void)
{
    htab_init(&mpi_s.groups, HK_GROUP, 2);
    htab_set(&mpi_s.groups, H_INDEX(MPI_GROUP_EMPTY), &empty);
}

void groups_fini(void)
{
    /* Groups the program never freed. */
    for (uint32_t i = mpi_s.groups.first; i < mpi_s.groups.n; i++) {
        struct mpi_group *g = mpi_s.groups.slot[i];
        if (!g) continue;
        free(g->w);
        free(g->rev);
        free(g);
    }
    htab_fini(&mpi_s.groups);
}

struct mpi_group *group_new(int size)
{
    struct mpi_group *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->w = malloc((size_t)(size ? size : 1) * sizeof *g->w);
    if (!g->w) {
        free(g);
        return NULL;
    }
    g->handle = MPI_GROUP_NULL;
    g->refs = 1;
    g->size = size;
    g->rank = MPI_UNDEFINED;
    return g;
}

void group_set_me(struct mpi_group *g)
{
    g->rank = MPI_UNDEFINED;
    for (int i = 0; i < g->size; i++)
        if (g->w[i] == mpi_s.wrank) g->rank = i;
}

void group_ref(struct mpi_group *g)
{
    g->refs++;
}

void group_unref(struct mpi_group *g)
{
    if (g == &empty || --g->refs > 0) return;
    if (g->handle != MPI_GROUP_NULL) htab_del(&mpi_s.groups, g->handle);
    free(g->w);
    free(g->rev);
    free(g);
}

int group_handle(struct mpi_group *g, MPI_Group *out)
{
    if (g->size == 0 && g != &empty) {
        /* Every empty group is MPI_GROUP_EMPTY. */
        *out = MPI_GROUP_EMPTY;
        return MPI_SUCCESS;
    }
    if (g->handle == MPI_GROUP_NULL) {
        int rc = htab_add(&mpi_s.groups, g, &g->handle);
        if (rc) return rc;
    }
    g->refs++;
    *out = g->handle;
    return MPI_SUCCESS;
}

struct mpi_group *group_get(MPI_Group h)
{
    return (struct mpi_group *)htab_get(&mpi_s.groups, h);
}

static int rev_cmp(const void *a, const void *b)
{
    const struct group_rev *x = a, *y = b;
    return (x->w > y->w) - (x->w < y->w);
}

int group_rank_of(struct mpi_group *g, int w)
{
    if (!g->rev) {
        g->rev = malloc((size_t)(g->size ? g->size : 1) * sizeof *g->rev);
        if (!g->rev) {
            for (int i = 0; i < g->size; i++)
                if (g->w[i] == w) return i;
            return MPI_UNDEFINED;
        }
        for (int i = 0; i < g->size; i++) g->rev[i] = (struct group_rev){g->w[i], i};
        qsort(g->rev, (size_t)g->size, sizeof *g->rev, rev_cmp);
    }
    int lo = 0, hi = g->size;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (g->rev[mid].w < w)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < g->size && g->rev[lo].w == w ? g->rev[lo].r : MPI_UNDEFINED;
}
