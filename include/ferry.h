/* Ferry: message passing through Mach-style ports.
 *
 * A port is a message queue with one receiver (the rank that allocated it)
 * and any number of senders. Messages from one sender to one port arrive in
 * the order they were sent; there is no order across senders. Every rank has
 * a well-known port (ferry_port_of_rank) so a first message needs no lookup.
 *
 * All calls return FERRY_OK (0) or a negative FERRY_ERR_* code;
 * ferry_strerror() turns a code into a sentence.
 */
#ifndef FERRY_H
#define FERRY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FERRY_VERSION_MAJOR 0
#define FERRY_VERSION_MINOR 1

enum ferry_error {
    FERRY_OK = 0,
    FERRY_ERR_INVALID = -1,         /* a bad argument */
    FERRY_ERR_NOMEM = -2,           /* out of memory (process or shared segment) */
    FERRY_ERR_NOT_INIT = -3,        /* ferry_init has not been called */
    FERRY_ERR_TRUNCATE = -4,        /* receive buffer too small; the message stays queued */
    FERRY_ERR_TIMEOUT = -5,         /* the timeout passed */
    FERRY_ERR_WOULDBLOCK = -6,      /* the operation would have to wait */
    FERRY_ERR_DEAD_PORT = -7,       /* the port was destroyed, or its rank is gone */
    FERRY_ERR_NOT_RECEIVER = -8,    /* only the rank that allocated a port receives from it */
    FERRY_ERR_WIREUP = -9,          /* talking to the launcher (PMI) failed */
    FERRY_ERR_TRANSPORT = -10,      /* a transport failed to move bytes */
    FERRY_ERR_PEER = -11,           /* a peer rank died or misbehaved */
    FERRY_ERR_NOTIFY_PENDING = -12, /* a notify-mode send to this port is still outstanding */
    FERRY_ERR_NAME_IN_USE = -13,    /* the name is already registered */
    FERRY_ERR_NOT_FOUND = -14,      /* no such name or object */
    FERRY_ERR_BUSY = -15,           /* still in use */
    FERRY_ERR_INTERNAL = -16,       /* a bug in Ferry */
};

/* A job-wide port name: the receiving rank, a slot in its port table and the
 * slot's generation, so a name of a destroyed port never reaches a new port
 * that reused the slot. */
typedef struct ferry_port {
    uint32_t rank;
    uint32_t index;
    uint32_t gen;
} ferry_port_t;

#define FERRY_PORT_NULL ((ferry_port_t){UINT32_MAX, 0, 0})

/* What a completed receive reports. */
typedef struct ferry_status {
    int source;        /* rank of the sender */
    ferry_port_t port; /* the port the message arrived on */
    size_t size;       /* the message's size in bytes (also set on FERRY_ERR_TRUNCATE) */
    uint64_t seq;      /* per-(sender, port) sequence number, from 0 */
    uint64_t id;       /* the sender's message id (0 for plain sends) */
    int error;         /* FERRY_OK or the error that ended the operation */
} ferry_status_t;

typedef struct ferry_request *ferry_request_t;

/* Queue limit of a port when ferry_port_alloc is given 0. */
#define FERRY_QLIMIT_DEFAULT 64
/* The largest queue limit a port can have. */
#define FERRY_QLIMIT_MAX 65536

/* Timeouts are in milliseconds. */
#define FERRY_FOREVER (-1)
#define FERRY_POLL    0

/* Life cycle. ferry_init reads the launcher's PMI-1 environment; a program
 * started without a launcher runs as rank 0 of a job of 1. argc/argv may be
 * NULL. */
int ferry_init(int *argc, char ***argv);
int ferry_finalize(void);
int ferry_initialized(void);
int ferry_rank(void);
int ferry_size(void);
/* Ranks on this node (including this one), in rank order. */
int ferry_local_size(void);
int ferry_local_rank(void);
/* Whether rank r shares this rank's node (and so its shared memory). */
int ferry_is_local(int rank);
const char *ferry_strerror(int err);
/* The library's version, "MAJOR.MINOR.PATCH". */
const char *ferry_version(void);

/* Ports. */
ferry_port_t ferry_port_of_rank(int rank); /* the well-known port of a rank */
int ferry_port_alloc(ferry_port_t *port, unsigned qlimit);
int ferry_port_destroy(ferry_port_t port);
int ferry_port_equal(ferry_port_t a, ferry_port_t b);

/* Blocking send and receive. A send returns once the buffer may be reused.
 * A receive with a buffer smaller than the next message returns
 * FERRY_ERR_TRUNCATE with status->size set; the message stays queued. */
int ferry_send(ferry_port_t dest, const void *buf, size_t len);
int ferry_recv(ferry_port_t port, void *buf, size_t cap, ferry_status_t *status, int timeout_ms);

/* Non-blocking forms; complete with ferry_wait or ferry_test, which free the
 * request and set it to NULL. */
int ferry_isend(ferry_port_t dest, const void *buf, size_t len, ferry_request_t *req);
int ferry_irecv(ferry_port_t port, void *buf, size_t cap, ferry_request_t *req);
int ferry_wait(ferry_request_t *req, ferry_status_t *status);
int ferry_test(ferry_request_t *req, int *done, ferry_status_t *status);

/* Drive communication once without blocking (waits and tests do this too). */
void ferry_progress(void);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_H */
