/* Questions about communicators, their names, and freeing them. */
#include <string.h>

#include "runtime/mpi/mpi_impl.h"

#pragma weak MPI_Comm_size = PMPI_Comm_size
FERRY_API int PMPI_Comm_size(MPI_Comm comm, int *size)
{
    LOCKED();
    struct mpi_comm *c;
    int rc = check_comm(comm, "MPI_Comm_size", &c);
    if (rc) return rc;
    if (!size) return mpi_err(c, MPI_ERR_ARG, "MPI_Comm_size", "null result pointer");
    *size = c->size;
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_rank = PMPI_Comm_rank
FERRY_API int PMPI_Comm_rank(MPI_Comm comm, int *rank)
{
    LOCKED();
    struct mpi_comm *c;
    int rc = check_comm(comm, "MPI_Comm_rank", &c);
    if (rc) return rc;
    if (!rank) return mpi_err(c, MPI_ERR_ARG, "MPI_Comm_rank", "null result pointer");
    *rank = c->rank;
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_test_inter = PMPI_Comm_test_inter
FERRY_API int PMPI_Comm_test_inter(MPI_Comm comm, int *flag)
{
    LOCKED();
    struct mpi_comm *c;
    int rc = check_comm(comm, "MPI_Comm_test_inter", &c);
    if (rc) return rc;
    if (!flag) return mpi_err(c, MPI_ERR_ARG, "MPI_Comm_test_inter", "null result pointer");
    *flag = 0; /* only intracommunicators exist */
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_compare = PMPI_Comm_compare
FERRY_API int PMPI_Comm_compare(MPI_Comm comm1, MPI_Comm comm2, int *result)
{
    LOCKED();
    static const char *const FN = "MPI_Comm_compare";
    struct mpi_comm *a, *b;
    int rc;
    if ((rc = check_comm(comm1, FN, &a)) || (rc = check_comm(comm2, FN, &b))) return rc;
    if (!result) return mpi_err(a, MPI_ERR_ARG, FN, "null result pointer");
    if (a == b) {
        *result = MPI_IDENT;
        return MPI_SUCCESS;
    }
    *result = group_compare(a->group, b->group);
    /* Same members in the same order, but a different context. */
    if (*result == MPI_IDENT) *result = MPI_CONGRUENT;
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_group = PMPI_Comm_group
FERRY_API int PMPI_Comm_group(MPI_Comm comm, MPI_Group *group)
{
    LOCKED();
    struct mpi_comm *c;
    int rc = check_comm(comm, "MPI_Comm_group", &c);
    if (rc) return rc;
    if (!group) return mpi_err(c, MPI_ERR_ARG, "MPI_Comm_group", "null result pointer");
    if ((rc = group_handle(c->group, group)))
        return mpi_err(c, rc, "MPI_Comm_group", "out of memory");
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_set_name = PMPI_Comm_set_name
FERRY_API int PMPI_Comm_set_name(MPI_Comm comm, const char *name)
{
    LOCKED();
    struct mpi_comm *c;
    int rc = check_comm(comm, "MPI_Comm_set_name", &c);
    if (rc) return rc;
    if (!name) return mpi_err(c, MPI_ERR_ARG, "MPI_Comm_set_name", "null name");
    /* Longer names are truncated, as the standard allows. */
    strncpy(c->name, name, sizeof c->name - 1);
    c->name[sizeof c->name - 1] = 0;
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_get_name = PMPI_Comm_get_name
FERRY_API int PMPI_Comm_get_name(MPI_Comm comm, char *name, int *len)
{
    LOCKED();
    struct mpi_comm *c;
    int rc = check_comm(comm, "MPI_Comm_get_name", &c);
    if (rc) return rc;
    if (!name || !len) return mpi_err(c, MPI_ERR_ARG, "MPI_Comm_get_name", "null result pointer");
    strcpy(name, c->name);
    *len = (int)strlen(name);
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_free = PMPI_Comm_free
FERRY_API int PMPI_Comm_free(MPI_Comm *comm)
{
    LOCKED();
    static const char *const FN = "MPI_Comm_free";
    struct mpi_comm *c;
    if (!comm) return mpi_err(NULL, MPI_ERR_ARG, FN, "null communicator pointer");
    int rc = check_comm(*comm, FN, &c);
    if (rc) return rc;
    if (c == mpi_comm_world || c == mpi_comm_self)
        return mpi_err(c, MPI_ERR_COMM, FN, "cannot free %s", c->name);
    /* Pending operations on it keep the object alive until they end. */
    if ((rc = comm_release(c))) return mpi_err(NULL, rc, FN, "an attribute delete callback failed");
    *comm = MPI_COMM_NULL;
    return MPI_SUCCESS;
}
