/* The default error handler: a bad argument ends the whole job with a
 * message naming the function and the argument. Rank 1 sends to a rank
 * that does not exist; the others wait in a receive that never completes
 * and must be ended too. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size, v = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 1)
        MPI_Send(&v, 1, MPI_INT, size + 3, 0, MPI_COMM_WORLD);
    else
        MPI_Recv(&v, 1, MPI_INT, MPI_ANY_SOURCE, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    printf("fatal: rank %d was not stopped\n", rank);
    MPI_Finalize();
    return 0;
}
