/* Error classes and their sentences. Every code Ferry returns is a class. */
#include <stdio.h>
#include <string.h>

#include "runtime/mpi/mpi_impl.h"

static const char *const messages[MPI_ERR_LASTCODE + 1] = {
    [MPI_SUCCESS] = "no error",
    [MPI_ERR_BUFFER] = "invalid buffer pointer",
    [MPI_ERR_COUNT] = "invalid count argument",
    [MPI_ERR_TYPE] = "invalid datatype",
    [MPI_ERR_TAG] = "invalid tag",
    [MPI_ERR_COMM] = "invalid communicator",
    [MPI_ERR_RANK] = "invalid rank",
    [MPI_ERR_REQUEST] = "invalid request",
    [MPI_ERR_ROOT] = "invalid root",
    [MPI_ERR_GROUP] = "invalid group",
    [MPI_ERR_OP] = "invalid reduction operation",
    [MPI_ERR_TOPOLOGY] = "invalid topology",
    [MPI_ERR_DIMS] = "invalid dimension argument",
    [MPI_ERR_ARG] = "invalid argument",
    [MPI_ERR_UNKNOWN] = "unknown error",
    [MPI_ERR_TRUNCATE] = "message truncated: larger than the receive buffer",
    [MPI_ERR_OTHER] = "other error (a peer failed, or the transport did)",
    [MPI_ERR_INTERN] = "internal error in Ferry",
    [MPI_ERR_IN_STATUS] = "error code is in the status",
    [MPI_ERR_PENDING] = "pending request",
    [MPI_ERR_KEYVAL] = "invalid attribute key",
    [MPI_ERR_NO_MEM] = "out of memory",
    [MPI_ERR_BASE] = "invalid base address",
    [MPI_ERR_INFO_KEY] = "invalid info key",
    [MPI_ERR_INFO_VALUE] = "invalid info value",
    [MPI_ERR_INFO_NOKEY] = "no such info key",
    [MPI_ERR_SPAWN] = "spawn failed",
    [MPI_ERR_PORT] = "invalid port name",
    [MPI_ERR_SERVICE] = "invalid service name",
    [MPI_ERR_NAME] = "invalid name",
    [MPI_ERR_WIN] = "invalid window",
    [MPI_ERR_SIZE] = "invalid size",
    [MPI_ERR_DISP] = "invalid displacement",
    [MPI_ERR_INFO] = "invalid info object",
    [MPI_ERR_LOCKTYPE] = "invalid lock type",
    [MPI_ERR_ASSERT] = "invalid assertion",
    [MPI_ERR_RMA_CONFLICT] = "conflicting accesses to a window",
    [MPI_ERR_RMA_SYNC] = "wrong synchronisation of RMA calls",
    [MPI_ERR_FILE] = "invalid file handle",
    [MPI_ERR_NOT_SAME] = "collective arguments differ between processes",
    [MPI_ERR_AMODE] = "invalid access mode",
    [MPI_ERR_UNSUPPORTED_DATAREP] = "unsupported data representation",
    [MPI_ERR_UNSUPPORTED_OPERATION] = "unsupported operation",
    [MPI_ERR_NO_SUCH_FILE] = "no such file",
    [MPI_ERR_FILE_EXISTS] = "file exists",
    [MPI_ERR_BAD_FILE] = "invalid file name",
    [MPI_ERR_ACCESS] = "permission denied",
    [MPI_ERR_NO_SPACE] = "no space left",
    [MPI_ERR_QUOTA] = "quota exceeded",
    [MPI_ERR_READ_ONLY] = "read-only file or file system",
    [MPI_ERR_FILE_IN_USE] = "file in use",
    [MPI_ERR_DUP_DATAREP] = "data representation already defined",
    [MPI_ERR_CONVERSION] = "data conversion failed",
    [MPI_ERR_IO] = "I/O error",
    [MPI_ERR_RMA_RANGE] = "target memory outside the window",
    [MPI_ERR_RMA_ATTACH] = "memory cannot be attached",
    [MPI_ERR_RMA_SHARED] = "memory cannot be shared",
    [MPI_ERR_RMA_FLAVOR] = "wrong window flavor",
};

#pragma weak MPI_Error_class = PMPI_Error_class
FERRY_API int PMPI_Error_class(int code, int *cls)
{
    LOCKED();
    static const char *const FN = "MPI_Error_class";
    if (!cls) return mpi_err(NULL, MPI_ERR_ARG, FN, "null result pointer");
    if (code < 0 || code > MPI_ERR_LASTCODE)
        return mpi_err(NULL, MPI_ERR_ARG, FN, "invalid error code %d", code);
    *cls = code;
    return MPI_SUCCESS;
}

#pragma weak MPI_Error_string = PMPI_Error_string
FERRY_API int PMPI_Error_string(int code, char *s, int *len)
{
    LOCKED();
    static const char *const FN = "MPI_Error_string";
    if (!s || !len) return mpi_err(NULL, MPI_ERR_ARG, FN, "null result pointer");
    if (code < 0 || code > MPI_ERR_LASTCODE)
        return mpi_err(NULL, MPI_ERR_ARG, FN, "invalid error code %d", code);
    *len = snprintf(s, MPI_MAX_ERROR_STRING, "%s", messages[code]);
    return MPI_SUCCESS;
}
