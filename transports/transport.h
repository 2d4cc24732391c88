/* The contract between the runtime and a transport.
 *
 * A transport moves frames (a fixed header plus an optional payload) between
 * ranks, and for messages too large to travel eagerly it lets the receiver
 * pull the sender's buffer once the message has been matched. It knows
 * nothing of ports or MPI: the header is opaque to it except for the kind.
 */
#ifndef FERRY_TRANSPORT_H
#define FERRY_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

/* Frame kinds the runtime uses; a transport may use kinds >= FRAME_TRANSPORT
 * for itself, and those never reach the runtime. */
enum frame_kind {
    FRAME_EAGER = 1, /* the payload is the whole message */
    FRAME_RTS = 2,   /* a large message: the payload is a struct ferry_rndv */
    FRAME_FIN = 3,   /* receiver to sender: the pull of rndv.cookie is done */
    FRAME_DEAD = 4,  /* receiver to sender: the destination port is dead */
    FRAME_TRANSPORT = 128,
};

/* The header every frame carries (40 bytes). */
struct ferry_hdr {
    uint32_t src;   /* sending rank */
    uint16_t kind;  /* enum frame_kind */
    uint16_t flags; /* per kind */
    uint32_t port;  /* destination port index */
    uint32_t gen;   /* destination port generation */
    uint64_t seq;   /* per (sender, port) sequence number */
    uint64_t size;  /* message size in bytes */
    uint64_t tag;   /* user/MPI match bits; for FIN and DEAD: the cookie */
};

/* What the receiver needs to pull a large message from its sender. */
struct ferry_rndv {
    uint64_t cookie; /* the sender's handle for the send, echoed in FIN */
    uint64_t addr;   /* the sender's buffer, in the sender's address space */
    uint64_t len;
    uint64_t key; /* transport-specific (a memory registration key) */
};

struct ferry_world;

/* The runtime's side: a transport hands every arriving frame to this while
 * polling. The payload is only valid during the call. */
typedef void (*ferry_frame_fn)(const struct ferry_hdr *h, const void *payload, size_t len);

struct iovec;

/* An asynchronous pull, owned by the runtime, advanced by the transport. */
struct ferry_pull {
    int done;  /* set by the transport when the bytes have landed */
    int error; /* FERRY_OK or an error code, valid once done */
    void *tp;  /* transport-private state */
    /* Set by the runtime before pull() (NULL otherwise), only for a
     * transport with caps.pull_iov: the bytes land in these regions, in
     * order, instead of dst (the receiver's derived datatype). They hold
     * at least the message's length and stay valid until done. */
    const struct iovec *dst_iov;
    uint32_t dst_iovcnt;
};

struct ferry_transport_caps {
    size_t max_eager; /* largest payload send() accepts */
    int can_pull;     /* whether pull() is implemented */
    int pull_iov;     /* whether pull() takes scattered sources (FERRY_RNDV_IOV) and
                         destinations (ferry_pull.dst_iov) */
};

struct ferry_transport_ops {
    const char *name;
    /* Set up; may publish an address through the wire-up KVS. Returns
     * FERRY_OK, 1 when it published (the runtime then fences before any
     * connect()), or an error to stop the init. A transport is started only
     * when some rank is reached by none started before it. */
    int (*init)(struct ferry_world *w, ferry_frame_fn deliver);
    /* After the fence, once every peer has its transport (ferry_w.peers[r].tp):
     * look up the addresses of the peers this transport serves. */
    int (*connect)(struct ferry_world *w);
    /* Whether this transport reaches that rank. */
    int (*reaches)(int rank);
    /* Send a frame without blocking. FERRY_ERR_WOULDBLOCK when there is no
     * room right now (the runtime retries later, in order). */
    int (*send)(int rank, const struct ferry_hdr *h, const void *payload, size_t len);
    /* Start pulling r->len bytes from rank's buffer into dst (or into
     * op->dst_iov when set). */
    int (*pull)(int rank, const struct ferry_rndv *r, void *dst, struct ferry_pull *op);
    /* Deliver arrived frames and advance pulls; returns how many events. */
    int (*poll)(void);
    /* Block until something may have arrived, or timeout_ms passes. Called
     * only after poll() found nothing. */
    void (*sleep)(int timeout_ms);
    /* Optional: make a sleep() under way in another thread of this process
     * return soon (threads: a thread that needs the transport wakes the
     * one asleep in it). A wake-up may be lost while that thread is only
     * about to sleep: the caller repeats it until the sleeper is out. NULL
     * when a sleep cannot be interrupted; such sleeps are then kept short. */
    void (*wake)(void);
    void (*fini)(void);
    struct ferry_transport_caps caps;
};

/* In a struct ferry_rndv's key: addr is an array of (key &
 * FERRY_RNDV_IOV_COUNT) struct iovec in the sender's memory whose lengths
 * add up to len, the message's bytes left scattered where they are (an MPI
 * derived datatype) for the receiver to pull in one copy. Only made for a
 * peer whose transport says it can (caps.pull_iov). */
#define FERRY_RNDV_IOV       (1ull << 63)
#define FERRY_RNDV_IOV_COUNT 0xffffffffull

/* Provided by the runtime: the key of this rank's outstanding large send
 * `cookie` as it made it (0 when there is none), so a transport acts on its
 * own record of a send rather than on what a peer echoes back. */
uint64_t ferry_rndv_key(uint64_t cookie);

/* Provided by the runtime: whether (addr, len) is the buffer of the
 * outstanding large send `cookie`, so a transport never reads memory a peer
 * merely names. */
int ferry_rndv_check(uint64_t cookie, uint64_t addr, uint64_t len);

/* Provided by the runtime: the transport lost rank for good (its connection
 * failed); what waits on that rank fails as if it had exited. Call it from
 * poll(), never from inside send(). */
void ferry_peer_lost(int rank);

extern const struct ferry_transport_ops ferry_transport_self;
extern const struct ferry_transport_ops ferry_transport_shm;
extern const struct ferry_transport_ops ferry_transport_ofi;

#endif
