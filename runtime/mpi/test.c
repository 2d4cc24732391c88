/* MPI_Test and its array forms: one turn of progress, then a look. */
#include "runtime/mpi/mpi_impl.h"

#pragma weak MPI_Test = PMPI_Test
FERRY_API int PMPI_Test(MPI_Request *request, int *flag, MPI_Status *status)
{
    LOCKED();
    static const char *const FN = "MPI_Test";
    MPI_CHECK_INIT(FN);
    if (!request || !flag) return mpi_err(NULL, MPI_ERR_ARG, FN, "null argument pointer");
    MPI_Status local, *st = status_ignored(status) ? &local : status;
    if (*request == MPI_REQUEST_NULL) {
        *flag = 1;
        status_empty(st);
        return MPI_SUCCESS;
    }
    struct mpi_req *r = mreq_get(*request);
    if (!r) return mpi_err(NULL, MPI_ERR_REQUEST, FN, "invalid request %#x", (unsigned)*request);
    if (!mreq_done(r)) mpi_poke();
    if (!(*flag = mreq_done(r))) return MPI_SUCCESS;
    struct mpi_comm *ec;
    int err = mreq_complete(request, r, st, &ec);
    if (!err) return MPI_SUCCESS;
    int rc = p2p_raise(ec, err, FN, st);
    comm_unref(ec);
    return rc;
}

static int all_done(int count, const MPI_Request reqs[])
{
    for (int i = 0; i < count; i++) {
        struct mpi_req *r = reqs[i] == MPI_REQUEST_NULL ? NULL : mreq_get(reqs[i]);
        if (r && !mreq_done(r)) return 0;
    }
    return 1;
}

#pragma weak MPI_Testall = PMPI_Testall
FERRY_API int PMPI_Testall(int count, MPI_Request reqs[], int *flag, MPI_Status sts[])
{
    LOCKED();
    static const char *const FN = "MPI_Testall";
    int rc = mreq_lookup(count, reqs, FN);
    if (rc) return rc;
    if (!flag) return mpi_err(NULL, MPI_ERR_ARG, FN, "null flag pointer");
    if (!all_done(count, reqs)) mpi_poke();
    /* All or nothing: none is completed unless all are done. */
    if (!(*flag = all_done(count, reqs))) return MPI_SUCCESS;
    return complete_done(count, reqs, sts == MPI_STATUSES_IGNORE ? NULL : sts, NULL, NULL, FN);
}

#pragma weak MPI_Testany = PMPI_Testany
FERRY_API int PMPI_Testany(int count, MPI_Request reqs[], int *index, int *flag, MPI_Status *status)
{
    LOCKED();
    static const char *const FN = "MPI_Testany";
    int rc = mreq_lookup(count, reqs, FN);
    if (rc) return rc;
    if (!index || !flag) return mpi_err(NULL, MPI_ERR_ARG, FN, "null result pointer");
    mpi_poke();
    rc = complete_any(count, reqs, index, status, FN);
    /* Nothing done yet among active requests: flag 0; none active: flag 1. */
    *flag = *index != MPI_UNDEFINED || !any_active(count, reqs);
    return rc;
}

#pragma weak MPI_Testsome = PMPI_Testsome
FERRY_API int PMPI_Testsome(int incount, MPI_Request reqs[], int *outcount, int indices[],
                            MPI_Status sts[])
{
    LOCKED();
    static const char *const FN = "MPI_Testsome";
    int rc = mreq_lookup(incount, reqs, FN);
    if (rc) return rc;
    if (!outcount || (incount && !indices))
        return mpi_err(NULL, MPI_ERR_ARG, FN, "null result pointer");
    if (!any_active(incount, reqs)) {
        *outcount = MPI_UNDEFINED;
        return MPI_SUCCESS;
    }
    mpi_poke();
    return complete_done(incount, reqs, sts == MPI_STATUSES_IGNORE ? NULL : sts, outcount, indices,
                         FN);
}
