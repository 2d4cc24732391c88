/* Ranks 0 and 1 bounce messages of growing size and check them; the other
 * ranks pair up the same way. Prints the round-trip time per size. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char *argv[])
{
    int rank, size;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int peer = rank ^ 1;
    if (peer < size) {
        char *buf = malloc(1 << 22);
        for (int n = 1; n <= (1 << 22); n *= 4) {
            double t = MPI_Wtime();
            for (int it = 0; it < 20; it++) {
                if (rank < peer) {
                    for (int i = 0; i < n; i++) buf[i] = (char)(i + it);
                    MPI_Send(buf, n, MPI_CHAR, peer, it, MPI_COMM_WORLD);
                    MPI_Recv(buf, n, MPI_CHAR, peer, it, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                } else {
                    MPI_Recv(buf, n, MPI_CHAR, peer, it, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                    MPI_Send(buf, n, MPI_CHAR, peer, it, MPI_COMM_WORLD);
                }
                for (int i = 0; i < n; i++)
                    if (buf[i] != (char)(i + it)) {
                        fprintf(stderr, "pingpong: rank %d: byte %d of %d wrong\n", rank, i, n);
                        MPI_Abort(MPI_COMM_WORLD, 1);
                    }
            }
            if (rank == 0)
                printf("%8d bytes: %10.2f us round trip\n", n, (MPI_Wtime() - t) / 20 * 1e6);
        }
        free(buf);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) printf("pingpong: done\n");
    MPI_Finalize();
    return 0;
}
