/* Error handlers, and raising an error on a communicator. Part of
 * mpi_impl.h, included through it only. */
#ifndef FERRY_MPI_ERRORS_H
#define FERRY_MPI_ERRORS_H

struct mpi_comm;

enum errh_kind { EH_FATAL, EH_RETURN, EH_USER };

struct mpi_errh {
    int handle;
    int refs;
    enum errh_kind kind;
    MPI_Comm_errhandler_function *fn;
};

void errh_init(void);
void errh_fini(void);
void errh_ref(struct mpi_errh *e);
void errh_unref(struct mpi_errh *e);
struct mpi_errh *errh_get(MPI_Errhandler h);
extern struct mpi_errh errh_fatal, errh_return;

int mpi_class_of(int ferry_err);
/* Raise an error of class cls in function fn on communicator c (NULL:
 * MPI_COMM_WORLD): the error handler runs (the default aborts the job);
 * returns cls for MPI_ERRORS_RETURN. */
int mpi_err(struct mpi_comm *c, int cls, const char *fn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A call made before MPI_Init or after MPI_Finalize. */
__attribute__((noreturn)) int mpi_err_state(const char *fn);
_Noreturn void mpi_abort_job(int code);

#define MPI_CHECK_INIT(fn)                                                                         \
    do {                                                                                           \
        if (__builtin_expect(!mpi_s.initialized, 0)) return mpi_err_state(fn);                     \
    } while (0)

#endif
