/* Jacobi iteration on a 2D grid split into column strips, one per rank,
 * with a halo exchange of boundary columns described by MPI_Type_vector.
 * Each rank checks its strip against the same computation done serially. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NY    64 /* rows */
#define NXL   16 /* interior columns per rank */
#define STEPS 50

static double init(int gx, int y)
{
    return (double)((gx * 7 + y * 13) % 17);
}

int main(int argc, char *argv[])
{
    int rank, size;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    /* Local strip with one ghost column on each side: NY x (NXL + 2). */
    int w = NXL + 2;
    double *u = malloc(sizeof(double) * NY * w), *v = malloc(sizeof(double) * NY * w);
    for (int y = 0; y < NY; y++)
        for (int x = 0; x < w; x++) u[y * w + x] = 0;
    for (int y = 0; y < NY; y++)
        for (int x = 1; x <= NXL; x++) u[y * w + x] = init(rank * NXL + x - 1, y);

    MPI_Datatype column;
    MPI_Type_vector(NY, 1, w, MPI_DOUBLE, &column);
    MPI_Type_commit(&column);
    int left = rank > 0 ? rank - 1 : MPI_PROC_NULL;
    int right = rank < size - 1 ? rank + 1 : MPI_PROC_NULL;

    for (int s = 0; s < STEPS; s++) {
        MPI_Request rq[4];
        MPI_Irecv(&u[0], 1, column, left, 0, MPI_COMM_WORLD, &rq[0]);
        MPI_Irecv(&u[NXL + 1], 1, column, right, 1, MPI_COMM_WORLD, &rq[1]);
        MPI_Isend(&u[1], 1, column, left, 1, MPI_COMM_WORLD, &rq[2]);
        MPI_Isend(&u[NXL], 1, column, right, 0, MPI_COMM_WORLD, &rq[3]);
        MPI_Waitall(4, rq, MPI_STATUSES_IGNORE);
        memcpy(v, u, sizeof(double) * NY * w);
        for (int y = 1; y < NY - 1; y++)
            for (int x = 1; x <= NXL; x++) {
                int gx = rank * NXL + x - 1;
                if (gx == 0 || gx == size * NXL - 1) continue; /* fixed boundary */
                v[y * w + x] = 0.25 * (u[y * w + x - 1] + u[y * w + x + 1] + u[(y - 1) * w + x] +
                                       u[(y + 1) * w + x]);
            }
        double *t = u;
        u = v;
        v = t;
    }

    /* The same on the whole grid, serially. */
    int gw = size * NXL;
    double *g = malloc(sizeof(double) * NY * gw), *h = malloc(sizeof(double) * NY * gw);
    for (int y = 0; y < NY; y++)
        for (int x = 0; x < gw; x++) g[y * gw + x] = init(x, y);
    for (int s = 0; s < STEPS; s++) {
        memcpy(h, g, sizeof(double) * NY * gw);
        for (int y = 1; y < NY - 1; y++)
            for (int x = 1; x < gw - 1; x++)
                h[y * gw + x] = 0.25 * (g[y * gw + x - 1] + g[y * gw + x + 1] +
                                        g[(y - 1) * gw + x] + g[(y + 1) * gw + x]);
        double *t = g;
        g = h;
        h = t;
    }
    int bad = 0;
    for (int y = 0; y < NY; y++)
        for (int x = 1; x <= NXL; x++)
            if (u[y * w + x] != g[y * gw + rank * NXL + x - 1]) bad++;
    int total = bad;
    if (rank == 0) {
        for (int r = 1; r < size; r++) {
            MPI_Recv(&bad, 1, MPI_INT, r, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            total += bad;
        }
        printf("halo: %d ranks, %d steps, %d wrong cells\n", size, STEPS, total);
    } else {
        MPI_Send(&bad, 1, MPI_INT, 0, 9, MPI_COMM_WORLD);
    }
    MPI_Type_free(&column);
    free(u);
    free(v);
    free(g);
    free(h);
    MPI_Finalize();
    return total ? 1 : 0;
}
