/* Statuses: filling them from the ports' statuses, and what MPI asks of
 * them (counts of elements, cancellation). A status counts bytes. */
#include <limits.h>

#include "runtime/mpi/mpi_impl.h"

void status_from_port(MPI_Status *st, const ferry_status_t *fs, struct mpi_comm *c, size_t cap,
                      int err)
{
    st->MPI_SOURCE = comm_rank_of_world(c, fs->source);
    st->MPI_TAG = (int)(uint32_t)fs->id;
    st->MPI_ERROR = err;
    st->ferry_cancelled = 0;
    /* A truncated receive got what fit. */
    st->ferry_count = (MPI_Count)(fs->size > cap ? cap : fs->size);
}

static int status_type(const MPI_Status *st, MPI_Datatype type, const char *fn,
                       struct mpi_dtype **t)
{
    *t = NULL;
    MPI_CHECK_INIT(fn);
    if (status_ignored(st)) return mpi_err(NULL, MPI_ERR_ARG, fn, "null or ignored status");
    return check_dtype(NULL, type, fn, t);
}

#pragma weak MPI_Get_count = PMPI_Get_count
FERRY_API int PMPI_Get_count(const MPI_Status *st, MPI_Datatype type, int *count)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = status_type(st, type, "MPI_Get_count", &t);
    if (rc) return rc;
    if (!count) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Get_count", "null result pointer");
    MPI_Count n = st->ferry_count;
    if (!t->size)
        *count = 0;
    else if (n % t->size || n / t->size > INT_MAX)
        *count = MPI_UNDEFINED;
    else
        *count = (int)(n / t->size);
    return MPI_SUCCESS;
}

#pragma weak MPI_Get_elements_x = PMPI_Get_elements_x
FERRY_API int PMPI_Get_elements_x(const MPI_Status *st, MPI_Datatype type, MPI_Count *count)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = status_type(st, type, "MPI_Get_elements_x", &t);
    if (rc) return rc;
    if (!count) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Get_elements_x", "null result pointer");
    *count = dt_elements(t, st->ferry_count);
    return MPI_SUCCESS;
}

#pragma weak MPI_Get_elements = PMPI_Get_elements
FERRY_API int PMPI_Get_elements(const MPI_Status *st, MPI_Datatype type, int *count)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = status_type(st, type, "MPI_Get_elements", &t);
    if (rc) return rc;
    if (!count) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Get_elements", "null result pointer");
    MPI_Count n = dt_elements(t, st->ferry_count);
    *count = n > INT_MAX ? MPI_UNDEFINED : (int)n;
    return MPI_SUCCESS;
}

/* Byte count of n basic elements of t (whole elements first). */
static MPI_Count bytes_of_elements(const struct mpi_dtype *t, MPI_Count n)
{
    if (!t->nbasic) return 0;
    MPI_Count bytes = n / t->nbasic * t->size, rem = n % t->nbasic;
    for (size_t s = 0; s < t->nsig && rem; s++) {
        MPI_Count k = rem < t->sig[s].count ? rem : t->sig[s].count;
        bytes += k * t->sig[s].bsize;
        rem -= k;
    }
    return bytes;
}

#pragma weak MPI_Status_set_elements_x = PMPI_Status_set_elements_x
FERRY_API int PMPI_Status_set_elements_x(MPI_Status *st, MPI_Datatype type, MPI_Count count)
{
    LOCKED();
    struct mpi_dtype *t;
    int rc = status_type(st, type, "MPI_Status_set_elements_x", &t);
    if (rc) return rc;
    if (count < 0)
        return mpi_err(NULL, MPI_ERR_COUNT, "MPI_Status_set_elements_x", "invalid count %lld",
                       count);
    st->ferry_count = bytes_of_elements(t, count);
    return MPI_SUCCESS;
}

#pragma weak MPI_Status_set_elements = PMPI_Status_set_elements
FERRY_API int PMPI_Status_set_elements(MPI_Status *st, MPI_Datatype type, int count)
{
    LOCKED();
    return PMPI_Status_set_elements_x(st, type, count);
}

#pragma weak MPI_Status_set_cancelled = PMPI_Status_set_cancelled
FERRY_API int PMPI_Status_set_cancelled(MPI_Status *st, int flag)
{
    LOCKED();
    MPI_CHECK_INIT("MPI_Status_set_cancelled");
    if (status_ignored(st))
        return mpi_err(NULL, MPI_ERR_ARG, "MPI_Status_set_cancelled", "null or ignored status");
    st->ferry_cancelled = flag != 0;
    return MPI_SUCCESS;
}

#pragma weak MPI_Test_cancelled = PMPI_Test_cancelled
FERRY_API int PMPI_Test_cancelled(const MPI_Status *st, int *flag)
{
    LOCKED();
    MPI_CHECK_INIT("MPI_Test_cancelled");
    if (status_ignored(st) || !flag)
        return mpi_err(NULL, MPI_ERR_ARG, "MPI_Test_cancelled", "null or ignored status");
    *flag = st->ferry_cancelled;
    return MPI_SUCCESS;
}
