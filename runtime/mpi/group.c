/* MPI_Group_*: building groups from groups, comparing and translating. */
#include <stdlib.h>
#include <string.h>

#include "runtime/mpi/mpi_impl.h"

static int check_group(MPI_Group h, const char *fn, struct mpi_group **out)
{
    *out = NULL;
    MPI_CHECK_INIT(fn);
    struct mpi_group *g = group_get(h);
    if (!g) {
        if (h == MPI_GROUP_NULL) return mpi_err(NULL, MPI_ERR_GROUP, fn, "null group");
        return mpi_err(NULL, MPI_ERR_GROUP, fn, "invalid group %#x", (unsigned)h);
    }
    *out = g;
    return MPI_SUCCESS;
}

/* Publish a group built here (its creation reference passes to the handle). */
static int publish(struct mpi_group *g, MPI_Group *out, const char *fn)
{
    group_set_me(g);
    int rc = group_handle(g, out);
    group_unref(g);
    return rc ? mpi_err(NULL, rc, fn, "out of memory") : MPI_SUCCESS;
}

#pragma weak MPI_Group_size = PMPI_Group_size
FERRY_API int PMPI_Group_size(MPI_Group group, int *size)
{
    LOCKED();
    struct mpi_group *g;
    int rc = check_group(group, "MPI_Group_size", &g);
    if (rc) return rc;
    if (!size) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Group_size", "null result pointer");
    *size = g->size;
    return MPI_SUCCESS;
}

#pragma weak MPI_Group_rank = PMPI_Group_rank
FERRY_API int PMPI_Group_rank(MPI_Group group, int *rank)
{
    LOCKED();
    struct mpi_group *g;
    int rc = check_group(group, "MPI_Group_rank", &g);
    if (rc) return rc;
    if (!rank) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Group_rank", "null result pointer");
    *rank = g->rank;
    return MPI_SUCCESS;
}

#pragma weak MPI_Group_free = PMPI_Group_free
FERRY_API int PMPI_Group_free(MPI_Group *group)
{
    LOCKED();
    static const char *const FN = "MPI_Group_free";
    struct mpi_group *g;
    if (!group) return mpi_err(NULL, MPI_ERR_ARG, FN, "null group pointer");
    int rc = check_group(*group, FN, &g);
    if (rc) return rc;
    group_unref(g);
    *group = MPI_GROUP_NULL;
    return MPI_SUCCESS;
}

/* Ranks given to incl/excl: each valid and distinct. */
static int check_ranks(struct mpi_group *g, int n, const int *ranks, const char *fn, char *seen)
{
    if (n < 0 || n > g->size)
        return mpi_err(NULL, MPI_ERR_ARG, fn, "invalid number of ranks %d (group size %d)", n,
                       g->size);
    if (n && !ranks) return mpi_err(NULL, MPI_ERR_ARG, fn, "null rank array");
    for (int i = 0; i < n; i++) {
        if (ranks[i] < 0 || ranks[i] >= g->size)
            return mpi_err(NULL, MPI_ERR_RANK, fn, "invalid rank %d (group size %d)", ranks[i],
                           g->size);
        if (seen[ranks[i]]) return mpi_err(NULL, MPI_ERR_RANK, fn, "rank %d given twice", ranks[i]);
        seen[ranks[i]] = 1;
    }
    return MPI_SUCCESS;
}

static int incl_excl(MPI_Group group, int n, const int *ranks, MPI_Group *out, int excl,
                     const char *fn)
{
    struct mpi_group *g;
    int rc = check_group(group, fn, &g);
    if (rc) return rc;
    if (!out) return mpi_err(NULL, MPI_ERR_ARG, fn, "null result pointer");
    char *seen = calloc((size_t)g->size + 1, 1);
    if (!seen) return mpi_err(NULL, MPI_ERR_NO_MEM, fn, "out of memory");
    if ((rc = check_ranks(g, n, ranks, fn, seen))) {
        free(seen);
        return rc;
    }
    struct mpi_group *ng = group_new(excl ? g->size - n : n);
    if (!ng) {
        free(seen);
        return mpi_err(NULL, MPI_ERR_NO_MEM, fn, "out of memory");
    }
    if (excl) {
        int k = 0;
        for (int i = 0; i < g->size; i++)
            if (!seen[i]) ng->w[k++] = g->w[i];
    } else {
        for (int i = 0; i < n; i++) ng->w[i] = g->w[ranks[i]];
    }
    free(seen);
    return publish(ng, out, fn);
}

#pragma weak MPI_Group_incl = PMPI_Group_incl
FERRY_API int PMPI_Group_incl(MPI_Group group, int n, const int ranks[], MPI_Group *newgroup)
{
    LOCKED();
    return incl_excl(group, n, ranks, newgroup, 0, "MPI_Group_incl");
}

#pragma weak MPI_Group_excl = PMPI_Group_excl
FERRY_API int PMPI_Group_excl(MPI_Group group, int n, const int ranks[], MPI_Group *newgroup)
{
    LOCKED();
    return incl_excl(group, n, ranks, newgroup, 1, "MPI_Group_excl");
}

/* Expand (first, last, stride) triplets into a rank list. */
static int expand_ranges(struct mpi_group *g, int n, int ranges[][3], int **out, int *nout,
                         const char *fn)
{
    if (n < 0) return mpi_err(NULL, MPI_ERR_ARG, fn, "invalid number of ranges %d", n);
    if (n && !ranges) return mpi_err(NULL, MPI_ERR_ARG, fn, "null range array");
    long total = 0;
    for (int i = 0; i < n; i++) {
        int first = ranges[i][0], last = ranges[i][1], stride = ranges[i][2];
        if (stride == 0) return mpi_err(NULL, MPI_ERR_ARG, fn, "range %d has stride 0", i);
        if (first < 0 || first >= g->size || last < 0 || last >= g->size)
            return mpi_err(NULL, MPI_ERR_RANK, fn, "range %d (%d, %d, %d) outside group of %d", i,
                           first, last, stride, g->size);
        if ((stride > 0 && first > last) || (stride < 0 && first < last))
            return mpi_err(NULL, MPI_ERR_ARG, fn, "range %d (%d, %d, %d) is empty", i, first, last,
                           stride);
        total += (last - first) / stride + 1;
        if (total > g->size)
            return mpi_err(NULL, MPI_ERR_RANK, fn, "ranges name more ranks than the group has");
    }
    int *r = malloc((size_t)(total ? total : 1) * sizeof *r);
    if (!r) return mpi_err(NULL, MPI_ERR_NO_MEM, fn, "out of memory");
    int k = 0;
    for (int i = 0; i < n; i++)
        for (int x = ranges[i][0]; ranges[i][2] > 0 ? x <= ranges[i][1] : x >= ranges[i][1];
             x += ranges[i][2])
            r[k++] = x;
    *out = r;
    *nout = k;
    return MPI_SUCCESS;
}

static int range_incl_excl(MPI_Group group, int n, int ranges[][3], MPI_Group *out, int excl,
                           const char *fn)
{
    struct mpi_group *g;
    int rc = check_group(group, fn, &g);
    if (rc) return rc;
    int *ranks, nr;
    if ((rc = expand_ranges(g, n, ranges, &ranks, &nr, fn))) return rc;
    rc = incl_excl(group, nr, ranks, out, excl, fn);
    free(ranks);
    return rc;
}

#pragma weak MPI_Group_range_incl = PMPI_Group_range_incl
FERRY_API int PMPI_Group_range_incl(MPI_Group group, int n, int ranges[][3], MPI_Group *newgroup)
{
    LOCKED();
    return range_incl_excl(group, n, ranges, newgroup, 0, "MPI_Group_range_incl");
}

#pragma weak MPI_Group_range_excl = PMPI_Group_range_excl
FERRY_API int PMPI_Group_range_excl(MPI_Group group, int n, int ranges[][3], MPI_Group *newgroup)
{
    LOCKED();
    return range_incl_excl(group, n, ranges, newgroup, 1, "MPI_Group_range_excl");
}

enum setop { SET_UNION, SET_INTERSECTION, SET_DIFFERENCE };

/* Order follows the first group, then (union) the second's extra members. */
static int set_op(MPI_Group h1, MPI_Group h2, MPI_Group *out, enum setop op, const char *fn)
{
    struct mpi_group *a, *b;
    int rc;
    if ((rc = check_group(h1, fn, &a)) || (rc = check_group(h2, fn, &b))) return rc;
    if (!out) return mpi_err(NULL, MPI_ERR_ARG, fn, "null result pointer");
    struct mpi_group *g = group_new(a->size + b->size);
    if (!g) return mpi_err(NULL, MPI_ERR_NO_MEM, fn, "out of memory");
    int k = 0;
    for (int i = 0; i < a->size; i++) {
        int in_b = group_rank_of(b, a->w[i]) != MPI_UNDEFINED;
        if (op == SET_UNION || (op == SET_INTERSECTION) == in_b) g->w[k++] = a->w[i];
    }
    if (op == SET_UNION)
        for (int i = 0; i < b->size; i++)
            if (group_rank_of(a, b->w[i]) == MPI_UNDEFINED) g->w[k++] = b->w[i];
    g->size = k;
    return publish(g, out, fn);
}

#pragma weak MPI_Group_union = PMPI_Group_union
FERRY_API int PMPI_Group_union(MPI_Group g1, MPI_Group g2, MPI_Group *newgroup)
{
    LOCKED();
    return set_op(g1, g2, newgroup, SET_UNION, "MPI_Group_union");
}

#pragma weak MPI_Group_intersection = PMPI_Group_intersection
FERRY_API int PMPI_Group_intersection(MPI_Group g1, MPI_Group g2, MPI_Group *newgroup)
{
    LOCKED();
    return set_op(g1, g2, newgroup, SET_INTERSECTION, "MPI_Group_intersection");
}

#pragma weak MPI_Group_difference = PMPI_Group_difference
FERRY_API int PMPI_Group_difference(MPI_Group g1, MPI_Group g2, MPI_Group *newgroup)
{
    LOCKED();
    return set_op(g1, g2, newgroup, SET_DIFFERENCE, "MPI_Group_difference");
}

#pragma weak MPI_Group_translate_ranks = PMPI_Group_translate_ranks
FERRY_API int PMPI_Group_translate_ranks(MPI_Group h1, int n, const int ranks1[], MPI_Group h2,
                                         int ranks2[])
{
    LOCKED();
    static const char *const FN = "MPI_Group_translate_ranks";
    struct mpi_group *a, *b;
    int rc;
    if ((rc = check_group(h1, FN, &a)) || (rc = check_group(h2, FN, &b))) return rc;
    if (n < 0) return mpi_err(NULL, MPI_ERR_ARG, FN, "invalid number of ranks %d", n);
    if (n && (!ranks1 || !ranks2)) return mpi_err(NULL, MPI_ERR_ARG, FN, "null rank array");
    for (int i = 0; i < n; i++) {
        if (ranks1[i] == MPI_PROC_NULL) {
            ranks2[i] = MPI_PROC_NULL;
            continue;
        }
        if (ranks1[i] < 0 || ranks1[i] >= a->size)
            return mpi_err(NULL, MPI_ERR_RANK, FN, "invalid rank %d (group size %d)", ranks1[i],
                           a->size);
        ranks2[i] = group_rank_of(b, a->w[ranks1[i]]);
    }
    return MPI_SUCCESS;
}

int group_compare(struct mpi_group *a, struct mpi_group *b)
{
    if (a->size != b->size) return MPI_UNEQUAL;
    if (!a->size || !memcmp(a->w, b->w, (size_t)a->size * sizeof *a->w)) return MPI_IDENT;
    for (int i = 0; i < a->size; i++)
        if (group_rank_of(b, a->w[i]) == MPI_UNDEFINED) return MPI_UNEQUAL;
    return MPI_SIMILAR;
}

#pragma weak MPI_Group_compare = PMPI_Group_compare
FERRY_API int PMPI_Group_compare(MPI_Group h1, MPI_Group h2, int *result)
{
    LOCKED();
    static const char *const FN = "MPI_Group_compare";
    struct mpi_group *a, *b;
    int rc;
    if ((rc = check_group(h1, FN, &a)) || (rc = check_group(h2, FN, &b))) return rc;
    if (!result) return mpi_err(NULL, MPI_ERR_ARG, FN, "null result pointer");
    *result = group_compare(a, b);
    return MPI_SUCCESS;
}
