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
/* ferry_init for a program of several threads: with FERRY_THREAD_MULTIPLE
 * in flags, any thread may call Ferry at any time, several at once (one
 * process-wide lock serialises the calls; a thread that waits lets it go,
 * so waits in several threads overlap). Without it, as ferry_init: Ferry
 * is called by one thread at a time. Called after ferry_init (while no
 * other thread is inside Ferry), it turns threads on. */
#define FERRY_THREAD_MULTIPLE 1
int ferry_init_thread(int *argc, char ***argv, int flags);
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

/* ---- Queue limits and send modes ----
 *
 * A port holds at most its queue limit of messages that no receive has
 * taken yet (default FERRY_QLIMIT_DEFAULT, at most FERRY_QLIMIT_MAX). A send
 * that returns FERRY_OK has been accepted into the queue or handed to a
 * receive. With a limit of 0 a send completes only when a receive takes the
 * message. When the queue is full the send mode decides: */
enum ferry_send_mode {
    FERRY_SEND_BLOCK = 0,   /* wait for room (ferry_send does this) */
    FERRY_SEND_TIMEOUT = 1, /* wait up to timeout_ms, then FERRY_ERR_TIMEOUT: never delivered */
    FERRY_SEND_NOWAIT = 2,  /* FERRY_ERR_WOULDBLOCK at once: never delivered */
    /* Accepted beyond the limit, at most one such message per sender and
     * port at a time (a second gets FERRY_ERR_NOTIFY_PENDING); when a receive
     * takes it, a FERRY_NOTIFY_SEND_POSSIBLE message arrives on the notify
     * port named in the send. */
    FERRY_SEND_NOTIFY = 3,
};

/* Notification messages: their id says what happened, their body is the
 * ferry_port_t concerned. */
#define FERRY_NOTIFY_SEND_POSSIBLE UINT64_C(0xFE77000000000001)
#define FERRY_NOTIFY_DEAD_NAME     UINT64_C(0xFE77000000000002)

int ferry_port_set_qlimit(ferry_port_t port, unsigned qlimit);

typedef struct ferry_port_status {
    size_t queued;    /* messages waiting in the queue */
    unsigned qlimit;  /* the queue limit */
    uint64_t seqno;   /* messages received from this port so far: the next one's number */
    int in_set;       /* whether the port is a member of a port set */
    ferry_port_t set; /* that set, or FERRY_PORT_NULL */
    int is_set;       /* whether this name is a port set */
} ferry_port_status_t;

int ferry_port_status(ferry_port_t port, ferry_port_status_t *status);

/* ---- Port sets: receive from any member; each port is in one set at most.
 * A set is received from like a port (ferry_recv, ferry_msg_recv) and the
 * status says which member a message came from; members are served in
 * turn, so none starves the others. ferry_port_destroy ends a set. */
int ferry_portset_alloc(ferry_port_t *set);
int ferry_portset_add(ferry_port_t set, ferry_port_t port);
int ferry_portset_remove(ferry_port_t set, ferry_port_t port);

/* ---- Out-of-line memory ----
 * Buffers in the node's shared heap (sized by FERRY_SHM_HEAP_MB in
 * ferryrun's environment; 4 GiB by default, or half the node's shared
 * memory when that is less). Sent in a message, only the
 * region's offset travels between ranks of a node: the receiver gets a
 * pointer to the very same pages. Running out of heap is FERRY_ERR_NOMEM. */
typedef struct ferry_region {
    void *addr;
    size_t len;
} ferry_region_t;

int ferry_mem_alloc(size_t len, void **ptr);
int ferry_mem_free(void *ptr);

/* ---- Messages with a reply port, port names and out-of-line regions ---- */
#define FERRY_MSG_PORTS_MAX   64
#define FERRY_MSG_REGIONS_MAX 64

typedef struct ferry_message {
    ferry_port_t dest;   /* send: where to. receive: the port it arrived on */
    ferry_port_t reply;  /* a port to answer on, or FERRY_PORT_NULL */
    uint64_t id;         /* the application's (an RPC's operation number) */
    void *body;          /* send: the body. receive: where to put it */
    size_t len;          /* send: body bytes. receive: in, room in body; out, body bytes */
    ferry_port_t *ports; /* port names carried: rights to send to them */
    size_t nports;       /* send: how many. receive: in, room in ports; out, how many */
    int source;          /* receive: the sending rank */
    uint64_t seq;        /* receive: per-(sender, port) sequence number */
    /* Out-of-line regions. Send: a region from ferry_mem_alloc moves to the
     * receiver (the sender must not touch or free it after a successful
     * send); any other buffer is copied once. Receive: in, room in regions;
     * out, the regions, in the node's shared heap: the receiver owns them
     * and frees them with ferry_mem_free. */
    ferry_region_t *regions;
    size_t nregions;
} ferry_message_t;

/* notify is used by FERRY_SEND_NOTIFY only. */
int ferry_msg_send(const ferry_message_t *m, enum ferry_send_mode mode, int timeout_ms,
                   ferry_port_t notify);
/* Body or port names that do not fit: FERRY_ERR_TRUNCATE, m->len and
 * m->nports report what came, and the message stays queued. */
int ferry_msg_recv(ferry_port_t port, ferry_message_t *m, int timeout_ms);

/* ---- RPC ----
 * ferry_rpc sends request to dest with a fresh single-use reply port and
 * waits for the answer in reply (body room in reply->len), all within
 * timeout_ms. */
int ferry_rpc(ferry_port_t dest, const ferry_message_t *request, ferry_message_t *reply,
              int timeout_ms);
/* A server's handler: fill reply (body, len, id; the reply port is set by
 * ferry_serve) and return 0 to answer and go on, FERRY_SERVE_NO_REPLY to go
 * on without answering, FERRY_SERVE_STOP to answer and return, or a
 * negative error to stop with it. */
typedef int (*ferry_handler_t)(const ferry_message_t *request, ferry_message_t *reply, void *arg);
#define FERRY_SERVE_NO_REPLY 1
#define FERRY_SERVE_STOP     2
/* Receive on port (or set), call handler, send its reply without ever
 * waiting on the client (a reply to a dead or full client is dropped). */
int ferry_serve(ferry_port_t port, ferry_handler_t handler, void *arg);

/* ---- Name service (the bootstrap server) ----
 * Names (1 to 255 printable characters, no space or '=') bound to port
 * names, unique in the job, kept by the launcher. A lookup waits until the
 * name is registered or timeout_ms passes (FERRY_ERR_TIMEOUT; with timeout
 * 0 an unknown name is FERRY_ERR_NOT_FOUND at once). Only the rank that
 * registered a name can unregister it. */
int ferry_name_register(const char *name, ferry_port_t port);
int ferry_name_lookup(const char *name, ferry_port_t *port, int timeout_ms);
int ferry_name_unregister(const char *name);

/* ---- Dead ports ----
 * A message with id FERRY_NOTIFY_DEAD_NAME goes to notify when port is
 * destroyed (at once if it is already dead). */
int ferry_port_notify_dead(ferry_port_t port, ferry_port_t notify);

/* Drive communication once without blocking (waits and tests do this too). */
void ferry_progress(void);

/* ---- Typed messages ----
 *
 * A message body may be a list of typed items, each a type and a count of
 * elements, so that a rank on a host of the other byte order reads native
 * values: the reader converts. Build a body with a writer over a buffer of
 * yours and send its first ferry_typed_size() bytes with any send call; read
 * a received body with a reader. These calls allocate nothing and work
 * without ferry_init.
 *
 * Items are data only: a port name or out-of-line descriptor in a body is
 * carried as a value, and the receiver uses it as it would any name it
 * holds (a name of a destroyed port is detected when used).
 *
 * A reader checks the whole body when it is set up. A body this library did
 * not write (bad magic, version or byte order, an unknown type, a count past
 * the end, a buffer that ends inside an item, bytes after the last item)
 * fails with FERRY_ERR_PEER and nothing of it is read.
 *
 * Environment: FERRY_TYPED_FORCE_SWAP=1, read by each ferry_typed_writer_init,
 * makes that writer write the byte order that is not this host's, so that
 * readers, even on this host, take the converting path (for tests). */
enum ferry_type {
    FERRY_TYPE_INT8 = 1,
    FERRY_TYPE_UINT8 = 2,
    FERRY_TYPE_INT16 = 3,
    FERRY_TYPE_UINT16 = 4,
    FERRY_TYPE_INT32 = 5,
    FERRY_TYPE_UINT32 = 6,
    FERRY_TYPE_INT64 = 7,
    FERRY_TYPE_UINT64 = 8,
    FERRY_TYPE_FLOAT32 = 9,  /* float, IEEE 754 binary32 */
    FERRY_TYPE_FLOAT64 = 10, /* double, IEEE 754 binary64 */
    FERRY_TYPE_BYTES = 11,   /* opaque bytes, never converted */
    FERRY_TYPE_PORT = 12,    /* ferry_port_t */
    FERRY_TYPE_OOL = 13,     /* ferry_ool_t */
};

/* An out-of-line region as a typed item carries it: the runtime says what
 * handle means; a typed body only carries both fields. */
typedef struct ferry_ool {
    uint64_t handle;
    uint64_t len; /* bytes */
} ferry_ool_t;

/* Writer and reader state. The fields are private: use the calls below. */
typedef struct ferry_typed_writer {
    unsigned char *buf;
    size_t cap, len;
    int swap;
} ferry_typed_writer_t;

typedef struct ferry_typed_reader {
    const unsigned char *buf;
    size_t len, pos;
    int swap;
} ferry_typed_reader_t;

/* Starts a body in buf (cap bytes; any alignment) and writes its header.
 * With buf NULL and cap 0 the writer only measures: puts succeed and
 * ferry_typed_size says how large the body would be. FERRY_ERR_NOMEM when
 * cap cannot hold the header, FERRY_ERR_INVALID for a NULL w or a NULL buf
 * with cap > 0. */
int ferry_typed_writer_init(ferry_typed_writer_t *w, void *buf, size_t cap);
/* Appends an item of count elements of type t read from values (an array of
 * the C type: int8_t … uint64_t, float, double, bytes, ferry_port_t,
 * ferry_ool_t), which must not overlap the writer's buffer. count may be 0
 * (values may then be NULL). FERRY_ERR_NOMEM when the item does not fit (the
 * body is left as it was, so the caller can send what it has);
 * FERRY_ERR_INVALID for an unknown type, NULL values with count > 0, or a
 * writer whose init failed. */
int ferry_typed_put(ferry_typed_writer_t *w, enum ferry_type t, const void *values, size_t count);
/* Bytes of the body so far, header included: what to send. */
size_t ferry_typed_size(const ferry_typed_writer_t *w);

/* Checks the body of len bytes at buf (see above) and sets r to read its
 * items in order. The buffer must stay unchanged while r is in use.
 * FERRY_ERR_PEER for a malformed body, FERRY_ERR_INVALID for a NULL r or a
 * NULL buf with len > 0. */
int ferry_typed_reader_init(ferry_typed_reader_t *r, const void *buf, size_t len);
/* 1 when the body was written in the other byte order (its values are
 * converted as they are read), 0 when not, FERRY_ERR_INVALID for a reader
 * whose init failed. */
int ferry_typed_swapped(const ferry_typed_reader_t *r);
/* The type and element count of the next item, which stays next. Either
 * pointer may be NULL. FERRY_ERR_NOT_FOUND after the last item. */
int ferry_typed_peek(const ferry_typed_reader_t *r, enum ferry_type *t, size_t *count);
/* Takes the next item into out, converted to this host's byte order. t and
 * count must be the item's (ferry_typed_peek tells them): otherwise
 * FERRY_ERR_INVALID and the item stays next. FERRY_ERR_NOT_FOUND after the
 * last item. */
int ferry_typed_get(ferry_typed_reader_t *r, enum ferry_type t, void *out, size_t count);
/* Takes the next item without copying it: *data points at its elements in
 * the reader's buffer, *count (if count is not NULL) says how many. Works
 * for bytes and 8-bit integers always; for other types only when the body
 * is in this host's byte order and the elements are aligned for their C
 * type in memory (they are when the buffer is 8-byte aligned). Otherwise,
 * or when t is not the item's type, FERRY_ERR_INVALID and the item stays
 * next: use ferry_typed_get. FERRY_ERR_NOT_FOUND after the last item. */
int ferry_typed_get_ref(ferry_typed_reader_t *r, enum ferry_type t, const void **data,
                        size_t *count);
/* Passes over the next item. FERRY_ERR_NOT_FOUND after the last item. */
int ferry_typed_skip(ferry_typed_reader_t *r);

/* Type-checked forms of ferry_typed_put and ferry_typed_get, one pair per
 * type: ferry_typed_put_i8(w, const int8_t *v, n), ferry_typed_get_i8(r,
 * int8_t *v, n), and likewise _u8, _i16, _u16, _i32, _u32, _i64, _u64, _f32
 * (float), _f64 (double), _bytes (void), _port (ferry_port_t), _ool
 * (ferry_ool_t). */
#define FERRY_TYPED_PAIR_(name, ctype, type)                                                       \
    static inline int ferry_typed_put_##name(ferry_typed_writer_t *w, const ctype *v, size_t n)    \
    {                                                                                              \
        return ferry_typed_put(w, type, v, n);                                                     \
    }                                                                                              \
    static inline int ferry_typed_get_##name(ferry_typed_reader_t *r, ctype *v, size_t n)          \
    {                                                                                              \
        return ferry_typed_get(r, type, v, n);                                                     \
    }
FERRY_TYPED_PAIR_(i8, int8_t, FERRY_TYPE_INT8)
FERRY_TYPED_PAIR_(u8, uint8_t, FERRY_TYPE_UINT8)
FERRY_TYPED_PAIR_(i16, int16_t, FERRY_TYPE_INT16)
FERRY_TYPED_PAIR_(u16, uint16_t, FERRY_TYPE_UINT16)
FERRY_TYPED_PAIR_(i32, int32_t, FERRY_TYPE_INT32)
FERRY_TYPED_PAIR_(u32, uint32_t, FERRY_TYPE_UINT32)
FERRY_TYPED_PAIR_(i64, int64_t, FERRY_TYPE_INT64)
FERRY_TYPED_PAIR_(u64, uint64_t, FERRY_TYPE_UINT64)
FERRY_TYPED_PAIR_(f32, float, FERRY_TYPE_FLOAT32)
FERRY_TYPED_PAIR_(f64, double, FERRY_TYPE_FLOAT64)
FERRY_TYPED_PAIR_(bytes, void, FERRY_TYPE_BYTES)
FERRY_TYPED_PAIR_(port, ferry_port_t, FERRY_TYPE_PORT)
FERRY_TYPED_PAIR_(ool, ferry_ool_t, FERRY_TYPE_OOL)
#undef FERRY_TYPED_PAIR_

#ifdef __cplusplus
}
#endif
#endif /* FERRY_H */
