/* mpi_coll: collective latency, OSU style, in plain MPI so the same source
 * builds with Ferry's mpicc, Open MPI's and MPICH's.
 *
 *   mpi_coll [-c barrier,bcast,allreduce,allgather,alltoall,reduce]
 *            [-m MIN:MAX] [-i ITERS] [-w WARMUP]
 *
 * Prints "collective size microseconds" per line: the mean time of one call
 * over ITERS calls (by default as many as fit in about 0.2 s, 5 to 1000),
 * averaged over the ranks. Size is
 * the bytes each rank contributes (bcast/reduce/allreduce: the buffer;
 * allgather: each rank's block; alltoall: the block for each peer); sizes
 * go from MIN to MAX by factors of 4, MAX last; reductions are MPI_SUM on MPI_INT.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rank, size;

static double run(const char *coll, size_t bytes, int iters, int warmup, char *a, char *b)
{
    int n = (int)bytes, ni = (int)(bytes / sizeof(int));
    double t0 = 0;
    for (int k = -warmup; k < iters; k++) {
        if (k == 0) {
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = MPI_Wtime();
        }
        if (!strcmp(coll, "barrier"))
            MPI_Barrier(MPI_COMM_WORLD);
        else if (!strcmp(coll, "bcast"))
            MPI_Bcast(a, n, MPI_CHAR, 0, MPI_COMM_WORLD);
        else if (!strcmp(coll, "allreduce"))
            MPI_Allreduce(a, b, ni, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        else if (!strcmp(coll, "reduce"))
            MPI_Reduce(a, b, ni, MPI_INT, MPI_SUM, 0, MPI_COMM_WORLD);
        else if (!strcmp(coll, "allgather"))
            MPI_Allgather(a, n, MPI_CHAR, b, n, MPI_CHAR, MPI_COMM_WORLD);
        else if (!strcmp(coll, "alltoall"))
            MPI_Alltoall(a, n, MPI_CHAR, b, n, MPI_CHAR, MPI_COMM_WORLD);
    }
    double mine = (MPI_Wtime() - t0) / iters * 1e6, sum = 0;
    MPI_Reduce(&mine, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    return sum / size;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char list[256] = "barrier,bcast,allreduce,allgather,alltoall,reduce";
    size_t lo = 8, hi = 1 << 20;
    int iters = 0, warmup = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-c") && i + 1 < argc) {
            snprintf(list, sizeof list, "%s", argv[++i]);
        } else if (!strcmp(argv[i], "-m") && i + 1 < argc) {
            if (sscanf(argv[++i], "%zu:%zu", &lo, &hi) != 2 || lo < 4 || hi < lo) {
                if (!rank) fprintf(stderr, "mpi_coll: -m wants MIN:MAX, MIN at least 4\n");
                MPI_Abort(MPI_COMM_WORLD, 2);
            }
        } else if (!strcmp(argv[i], "-i") && i + 1 < argc) {
            iters = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "-w") && i + 1 < argc) {
            warmup = atoi(argv[++i]);
        } else {
            if (!rank)
                fprintf(stderr, "usage: mpi_coll [-c LIST] [-m MIN:MAX] [-i ITERS] [-w WARMUP]\n");
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
    }
    size_t cap = hi * (size_t)size;
    char *a = malloc(cap), *b = malloc(cap);
    if (!a || !b) MPI_Abort(MPI_COMM_WORLD, 1);
    memset(a, 1, cap);
    memset(b, 0, cap);
    for (char *save = NULL, *coll = strtok_r(list, ",", &save); coll;
         coll = strtok_r(NULL, ",", &save)) {
        for (size_t s = lo; s <= hi; s = s < hi && s * 4 > hi ? hi : s * 4) {
            /* About 0.2 s per size unless -i: a few timed calls decide how
             * many (from 5 to 1000), the same on every rank. */
            int it = iters;
            if (it <= 0) {
                double t = run(coll, s, 3, 1, a, b);
                it = t > 0 ? (int)(2e5 / t) : 1000;
                it = it < 5 ? 5 : it > 1000 ? 1000 : it;
                MPI_Bcast(&it, 1, MPI_INT, 0, MPI_COMM_WORLD);
            }
            int w = warmup >= 0 ? warmup : it / 10 + 2;
            double us = run(coll, s, it, w, a, b);
            if (!rank) printf("%s %zu %.2f\n", coll, strcmp(coll, "barrier") ? s : 0, us);
            fflush(stdout);
            if (!strcmp(coll, "barrier")) break;
        }
    }
    free(a);
    free(b);
    MPI_Finalize();
    return 0;
}
