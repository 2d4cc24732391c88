/* The environment: time, names, versions, memory, profiling control. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/mpi/mpi_impl.h"

#pragma weak MPI_Wtime = PMPI_Wtime
FERRY_API double PMPI_Wtime(void)
{
    /* Monotonic and per process: MPI_WTIME_IS_GLOBAL is false. */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#pragma weak MPI_Wtick = PMPI_Wtick
FERRY_API double PMPI_Wtick(void)
{
    struct timespec ts;
    if (clock_getres(CLOCK_MONOTONIC, &ts)) return 1e-9;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#pragma weak MPI_Get_processor_name = PMPI_Get_processor_name
FERRY_API int PMPI_Get_processor_name(char *name, int *len)
{
    LOCKED();
    static const char *const FN = "MPI_Get_processor_name";
    MPI_CHECK_INIT(FN);
    if (!name || !len) return mpi_err(NULL, MPI_ERR_ARG, FN, "null result pointer");
    char host[MPI_MAX_PROCESSOR_NAME];
    if (gethostname(host, sizeof host)) strcpy(host, "localhost");
    host[sizeof host - 1] = 0;
    strcpy(name, host);
    *len = (int)strlen(name);
    return MPI_SUCCESS;
}

#pragma weak MPI_Get_version = PMPI_Get_version
FERRY_API int PMPI_Get_version(int *version, int *subversion)
{
    if (!version || !subversion)
        return mpi_err(NULL, MPI_ERR_ARG, "MPI_Get_version", "null result pointer");
    *version = MPI_VERSION;
    *subversion = MPI_SUBVERSION;
    return MPI_SUCCESS;
}

#pragma weak MPI_Get_library_version = PMPI_Get_library_version
FERRY_API int PMPI_Get_library_version(char *version, int *len)
{
    if (!version || !len)
        return mpi_err(NULL, MPI_ERR_ARG, "MPI_Get_library_version", "null result pointer");
    *len = snprintf(version, MPI_MAX_LIBRARY_VERSION_STRING,
                    "Ferry MPI %s (MPI %d.%d: point-to-point, communicators, groups, datatypes; "
                    "collectives: MPI_Barrier only)",
                    ferry_version(), MPI_VERSION, MPI_SUBVERSION);
    return MPI_SUCCESS;
}

#pragma weak MPI_Alloc_mem = PMPI_Alloc_mem
FERRY_API int PMPI_Alloc_mem(MPI_Aint size, MPI_Info info, void *baseptr)
{
    LOCKED();
    static const char *const FN = "MPI_Alloc_mem";
    MPI_CHECK_INIT(FN);
    if (size < 0) return mpi_err(NULL, MPI_ERR_ARG, FN, "invalid size %ld", (long)size);
    if (info != MPI_INFO_NULL)
        return mpi_err(NULL, MPI_ERR_INFO, FN, "invalid info object %#x", (unsigned)info);
    if (!baseptr) return mpi_err(NULL, MPI_ERR_ARG, FN, "null result pointer");
    /* From the node's shared heap, where the other ranks of the node can
     * reach it; process memory when the heap is full. */
    void *p;
    if (ferry_mem_alloc(size ? (size_t)size : 1, &p) != FERRY_OK &&
        !(p = malloc(size ? (size_t)size : 1)))
        return mpi_err(NULL, MPI_ERR_NO_MEM, FN, "cannot allocate %ld bytes", (long)size);
    *(void **)baseptr = p;
    return MPI_SUCCESS;
}

#pragma weak MPI_Free_mem = PMPI_Free_mem
FERRY_API int PMPI_Free_mem(void *base)
{
    LOCKED();
    MPI_CHECK_INIT("MPI_Free_mem");
    /* Not a block of the heap: the fallback's. */
    if (base && ferry_mem_free(base) == FERRY_ERR_INVALID) free(base);
    return MPI_SUCCESS;
}

#pragma weak MPI_Pcontrol = PMPI_Pcontrol
FERRY_API int PMPI_Pcontrol(const int level, ...)
{
    /* For profiling tools that intercept it; the library itself keeps no
     * profile, which the standard allows. */
    return MPI_SUCCESS;
}
