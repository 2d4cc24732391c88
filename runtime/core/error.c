#include "include/ferry.h"
#include "runtime/core/api.h"

FERRY_API const char *ferry_strerror(int err)
{
    switch (err) {
    case FERRY_OK:
        return "success";
    case FERRY_ERR_INVALID:
        return "invalid argument";
    case FERRY_ERR_NOMEM:
        return "out of memory";
    case FERRY_ERR_NOT_INIT:
        return "Ferry is not initialised (call ferry_init first)";
    case FERRY_ERR_TRUNCATE:
        return "message larger than the receive buffer (it stays queued)";
    case FERRY_ERR_TIMEOUT:
        return "timed out";
    case FERRY_ERR_WOULDBLOCK:
        return "operation would block";
    case FERRY_ERR_DEAD_PORT:
        return "the port is dead (destroyed, or its rank is gone)";
    case FERRY_ERR_NOT_RECEIVER:
        return "this rank does not hold the port's receive right";
    case FERRY_ERR_WIREUP:
        return "wire-up with the launcher (PMI) failed";
    case FERRY_ERR_TRANSPORT:
        return "transport failure";
    case FERRY_ERR_PEER:
        return "a peer rank died or sent a malformed frame";
    case FERRY_ERR_NOTIFY_PENDING:
        return "a notify-mode send to this port is still pending";
    case FERRY_ERR_NAME_IN_USE:
        return "name already registered";
    case FERRY_ERR_NOT_FOUND:
        return "not found";
    case FERRY_ERR_BUSY:
        return "resource busy";
    case FERRY_ERR_INTERNAL:
        return "internal error in Ferry";
    }
    return "unknown error code";
}
