/* Error handlers: raising an error on a communicator, and the handler
 * objects (MPI_ERRORS_ARE_FATAL, MPI_ERRORS_RETURN, user functions). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime/mpi/mpi_impl.h"
#include "runtime/wireup/pmi_client.h"

struct mpi_errh errh_fatal = {MPI_ERRORS_ARE_FATAL, 1, EH_FATAL, NULL};
struct mpi_errh errh_return = {MPI_ERRORS_RETURN, 1, EH_RETURN, NULL};

void errh_init(void)
{
    htab_init(&mpi_s.errhs, HK_ERRH, 3);
    htab_set(&mpi_s.errhs, H_INDEX(MPI_ERRORS_ARE_FATAL), &errh_fatal);
    htab_set(&mpi_s.errhs, H_INDEX(MPI_ERRORS_RETURN), &errh_return);
}

void errh_fini(void)
{
    for (uint32_t i = mpi_s.errhs.first; i < mpi_s.errhs.n; i++) free(mpi_s.errhs.slot[i]);
    htab_fini(&mpi_s.errhs);
}

struct mpi_errh *errh_get(MPI_Errhandler h)
{
    return (struct mpi_errh *)htab_get(&mpi_s.errhs, h);
}

void errh_ref(struct mpi_errh *e)
{
    if (e->kind == EH_USER) e->refs++;
}

void errh_unref(struct mpi_errh *e)
{
    if (e->kind != EH_USER || --e->refs > 0) return;
    htab_del(&mpi_s.errhs, e->handle);
    free(e);
}

int mpi_class_of(int ferry_err)
{
    switch (ferry_err) {
    case FERRY_OK:
        return MPI_SUCCESS;
    case FERRY_ERR_TRUNCATE:
        return MPI_ERR_TRUNCATE;
    case FERRY_ERR_NOMEM:
        return MPI_ERR_NO_MEM;
    case FERRY_ERR_INVALID:
        return MPI_ERR_ARG;
    case FERRY_ERR_INTERNAL:
        return MPI_ERR_INTERN;
    default:
        return MPI_ERR_OTHER;
    }
}

_Noreturn void mpi_abort_job(int code)
{
    fflush(NULL);
    if (ferry_initialized()) pmi_client_abort(code, "MPI_Abort");
    _exit(code ? code : 1);
}

static void vreport(const char *fn, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (ferry_initialized())
        fprintf(stderr, "[rank %d] %s: %s\n", ferry_rank(), fn, msg);
    else
        fprintf(stderr, "%s: %s\n", fn, msg);
}

int mpi_err(struct mpi_comm *c, int cls, const char *fn, const char *fmt, ...)
{
    if (!c) c = mpi_comm_world;
    struct mpi_errh *e = c && mpi_s.initialized ? c->errh : &errh_fatal;
    va_list ap;
    switch (e->kind) {
    case EH_RETURN:
        return cls;
    case EH_USER: {
        MPI_Comm h = c->handle;
        int code = cls;
        e->fn(&h, &code);
        return cls;
    }
    case EH_FATAL:
        break;
    }
    va_start(ap, fmt);
    vreport(fn, fmt, ap);
    va_end(ap);
    mpi_abort_job(cls);
}

int mpi_err_state(const char *fn)
{
    fprintf(stderr, "%s: called %s\n", fn,
            mpi_s.finalized ? "after MPI_Finalize" : "before MPI_Init");
    mpi_abort_job(MPI_ERR_OTHER);
}

#pragma weak MPI_Comm_create_errhandler = PMPI_Comm_create_errhandler
FERRY_API int PMPI_Comm_create_errhandler(MPI_Comm_errhandler_function *fn, MPI_Errhandler *out)
{
    LOCKED();
    static const char *const FN = "MPI_Comm_create_errhandler";
    MPI_CHECK_INIT(FN);
    if (!fn || !out) return mpi_err(NULL, MPI_ERR_ARG, FN, "null %s", fn ? "handle" : "function");
    struct mpi_errh *e = malloc(sizeof *e);
    if (!e) return mpi_err(NULL, MPI_ERR_NO_MEM, FN, "out of memory");
    *e = (struct mpi_errh){MPI_ERRHANDLER_NULL, 1, EH_USER, fn};
    if (htab_add(&mpi_s.errhs, e, &e->handle)) {
        free(e);
        return mpi_err(NULL, MPI_ERR_NO_MEM, FN, "out of memory");
    }
    *out = e->handle;
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_set_errhandler = PMPI_Comm_set_errhandler
FERRY_API int PMPI_Comm_set_errhandler(MPI_Comm comm, MPI_Errhandler h)
{
    LOCKED();
    static const char *const FN = "MPI_Comm_set_errhandler";
    struct mpi_comm *c;
    int rc = check_comm(comm, FN, &c);
    if (rc) return rc;
    struct mpi_errh *e = errh_get(h);
    if (!e) return mpi_err(c, MPI_ERR_ARG, FN, "invalid error handler %#x", (unsigned)h);
    errh_ref(e);
    errh_unref(c->errh);
    c->errh = e;
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_get_errhandler = PMPI_Comm_get_errhandler
FERRY_API int PMPI_Comm_get_errhandler(MPI_Comm comm, MPI_Errhandler *out)
{
    LOCKED();
    static const char *const FN = "MPI_Comm_get_errhandler";
    struct mpi_comm *c;
    int rc = check_comm(comm, FN, &c);
    if (rc) return rc;
    if (!out) return mpi_err(c, MPI_ERR_ARG, FN, "null handle pointer");
    /* The caller owns a reference and frees it with MPI_Errhandler_free. */
    errh_ref(c->errh);
    *out = c->errh->handle;
    return MPI_SUCCESS;
}

#pragma weak MPI_Comm_call_errhandler = PMPI_Comm_call_errhandler
FERRY_API int PMPI_Comm_call_errhandler(MPI_Comm comm, int code)
{
    LOCKED();
    static const char *const FN = "MPI_Comm_call_errhandler";
    struct mpi_comm *c;
    int rc = check_comm(comm, FN, &c);
    if (rc) return rc;
    int cls;
    if (PMPI_Error_class(code, &cls)) cls = MPI_ERR_UNKNOWN;
    char s[MPI_MAX_ERROR_STRING];
    int len;
    PMPI_Error_string(cls, s, &len);
    mpi_err(c, code, FN, "error %d raised by the program: %s", code, s);
    return MPI_SUCCESS;
}

#pragma weak MPI_Errhandler_free = PMPI_Errhandler_free
FERRY_API int PMPI_Errhandler_free(MPI_Errhandler *h)
{
    LOCKED();
    static const char *const FN = "MPI_Errhandler_free";
    MPI_CHECK_INIT(FN);
    struct mpi_errh *e = h ? errh_get(*h) : NULL;
    if (!e) return mpi_err(NULL, MPI_ERR_ARG, FN, "invalid error handler");
    errh_unref(e);
    *h = MPI_ERRHANDLER_NULL;
    return MPI_SUCCESS;
}
