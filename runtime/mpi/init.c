/* MPI_Init and MPI_Finalize: Ferry underneath, the predefined objects
 * above it. */
#include <pthread.h>
#include <stdio.h>

#include "runtime/mpi/ctxid.h"

struct mpi_state mpi_s;
static pthread_t main_thread;

static int setup(int *argc, char ***argv, const char *fn)
{
    if (mpi_s.initialized || mpi_s.finalized) {
        fprintf(stderr, "%s: MPI is already %s\n", fn,
                mpi_s.finalized ? "finalized" : "initialized");
        mpi_abort_job(MPI_ERR_OTHER);
    }
    if (!ferry_initialized()) {
        int rc = ferry_init(argc, argv);
        if (rc) {
            fprintf(stderr, "%s: starting Ferry failed: %s\n", fn, ferry_strerror(rc));
            mpi_abort_job(MPI_ERR_OTHER);
        }
        mpi_s.own_ferry = 1;
    }
    mpi_s.wrank = ferry_rank();
    mpi_s.wsize = ferry_size();
    mpi_s.port = mpi_port_of(mpi_s.wrank);
    main_thread = pthread_self();
    errh_init();
    groups_init();
    keyvals_init();
    ctxid_init();
    htab_init(&mpi_s.reqs, HK_REQ, 0);
    htab_init(&mpi_s.msgs, HK_MSG, 2);
    if (dtypes_init() || comms_init()) {
        fprintf(stderr, "%s: out of memory\n", fn);
        mpi_abort_job(MPI_ERR_NO_MEM);
    }
    mpi_s.initialized = 1;
    return MPI_SUCCESS;
}

#pragma weak MPI_Init = PMPI_Init
FERRY_API int PMPI_Init(int *argc, char ***argv)
{
    mpi_s.thread_level = MPI_THREAD_SINGLE;
    return setup(argc, argv, "MPI_Init");
}

#pragma weak MPI_Init_thread = PMPI_Init_thread
FERRY_API int PMPI_Init_thread(int *argc, char ***argv, int required, int *provided)
{
    /* Every level is granted. MPI_THREAD_MULTIPLE turns on the big lock
     * (runtime/progress/lock.h): each call holds it, and a waiting thread
     * lets it go, so the levels below cost nothing. */
    mpi_s.thread_level = required > MPI_THREAD_MULTIPLE ? MPI_THREAD_MULTIPLE : required;
    if (mpi_s.thread_level < MPI_THREAD_SINGLE) mpi_s.thread_level = MPI_THREAD_SINGLE;
    if (mpi_s.thread_level == MPI_THREAD_MULTIPLE) lock_enable();
    int rc = setup(argc, argv, "MPI_Init_thread");
    if (provided) *provided = mpi_s.thread_level;
    return rc;
}

#pragma weak MPI_Initialized = PMPI_Initialized
FERRY_API int PMPI_Initialized(int *flag)
{
    if (!flag) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Initialized", "null flag pointer");
    *flag = mpi_s.initialized || mpi_s.finalized;
    return MPI_SUCCESS;
}

#pragma weak MPI_Finalized = PMPI_Finalized
FERRY_API int PMPI_Finalized(int *flag)
{
    if (!flag) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Finalized", "null flag pointer");
    *flag = mpi_s.finalized;
    return MPI_SUCCESS;
}

#pragma weak MPI_Query_thread = PMPI_Query_thread
FERRY_API int PMPI_Query_thread(int *provided)
{
    MPI_CHECK_INIT("MPI_Query_thread");
    if (!provided) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Query_thread", "null result pointer");
    *provided = mpi_s.thread_level;
    return MPI_SUCCESS;
}

#pragma weak MPI_Is_thread_main = PMPI_Is_thread_main
FERRY_API int PMPI_Is_thread_main(int *flag)
{
    MPI_CHECK_INIT("MPI_Is_thread_main");
    if (!flag) return mpi_err(NULL, MPI_ERR_ARG, "MPI_Is_thread_main", "null result pointer");
    *flag = pthread_equal(pthread_self(), main_thread);
    return MPI_SUCCESS;
}

#pragma weak MPI_Finalize = PMPI_Finalize
FERRY_API int PMPI_Finalize(void)
{
    LOCKED();
    static const char *const FN = "MPI_Finalize";
    MPI_CHECK_INIT(FN);
    /* As the standard says: MPI_COMM_SELF's attributes go first (libraries
     * hang clean-up on them), and buffered messages are delivered. */
    int rc = attrs_delete_all(mpi_comm_self);
    if (rc) mpi_err(NULL, rc, FN, "a delete callback on MPI_COMM_SELF failed");
    void *addr;
    int size;
    bsend_detach_all(&addr, &size);
    reqs_fini();
    msgs_fini();
    comms_fini();
    dtypes_fini();
    groups_fini();
    keyvals_fini();
    errh_fini();
    ctxid_fini();
    mpi_s.initialized = 0;
    mpi_s.finalized = 1;
    /* ferry_finalize waits for every rank, so peers still pulling a large
     * message from this one get it. */
    if (mpi_s.own_ferry && (rc = ferry_finalize())) {
        fprintf(stderr, "%s: %s\n", FN, ferry_strerror(rc));
        return MPI_ERR_OTHER;
    }
    return MPI_SUCCESS;
}

#pragma weak MPI_Abort = PMPI_Abort
FERRY_API int PMPI_Abort(MPI_Comm comm, int code)
{
    /* Any communicator ends the whole job. */
    mpi_abort_job(code);
}
