/* Checks for the MPI test programs: a failed check names the rank, file,
 * line and condition and ends the job with MPI_Abort. */
#ifndef MTEST_H
#define MTEST_H

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static inline int mtest_rank(void)
{
    int r = -1, init = 0;
    MPI_Initialized(&init);
    if (init) MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL rank %d %s:%d: %s\n", mtest_rank(), __FILE__, __LINE__, #cond);  \
            fflush(stderr);                                                                        \
            MPI_Abort(MPI_COMM_WORLD, 1);                                                          \
        }                                                                                          \
    } while (0)

/* A check with the values involved. */
#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                      \
        if (va_ != vb_) {                                                                          \
            fprintf(stderr, "FAIL rank %d %s:%d: %s == %lld, expected %s == %lld\n", mtest_rank(), \
                    __FILE__, __LINE__, #a, va_, #b, vb_);                                         \
            fflush(stderr);                                                                        \
            MPI_Abort(MPI_COMM_WORLD, 1);                                                          \
        }                                                                                          \
    } while (0)

#define CHECK_OK(call) CHECK_INT((call), MPI_SUCCESS)

/* The class of an error code (MPI allows codes more specific than their
 * class). */
static inline int mtest_class(int code)
{
    int cls = -1;
    MPI_Error_class(code, &cls);
    return cls;
}
#define CHECK_CLASS(call, cls) CHECK_INT(mtest_class(call), (cls))

/* Rank 0 says the program got to its end on every rank. */
static inline void mtest_done(const char *name)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) printf("%s: PASS\n", name);
    fflush(stdout);
}

#endif
