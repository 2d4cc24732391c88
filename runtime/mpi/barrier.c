/* MPI_Barrier, a dissemination barrier over point-to-point. Programs need
 * it to line up (benchmarks, tests); the tuned collectives come later. */
#include "runtime/mpi/coll_internal.h"

#pragma weak MPI_Barrier = PMPI_Barrier
FERRY_API int PMPI_Barrier(MPI_Comm comm)
{
    struct mpi_comm *c;
    int rc = check_comm(comm, "MPI_Barrier", &c);
    if (rc) return rc;
    if ((rc = coll_barrier(c))) return p2p_raise(c, rc, "MPI_Barrier", NULL);
    return MPI_SUCCESS;
}
