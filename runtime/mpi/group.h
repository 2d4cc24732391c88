/* Group objects: an ordered list of world ranks, shared by reference.
 * Part of mpi_impl.h, included through it only. */
#ifndef FERRY_MPI_GROUP_H
#define FERRY_MPI_GROUP_H

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

#endif
