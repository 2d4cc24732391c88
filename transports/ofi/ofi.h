/* The libfabric transport's shared state. One endpoint per rank:
 *
 *   lib.c     opening libfabric itself, at the transport's start
 *   fabric.c  choosing a provider and opening fabric, domain, AV, CQ, EP
 *   addr.c    publishing and resolving addresses through the PMI store
 *   eager.c   frames: registered send slots and pre-posted receive buffers
 *   rndv.c    large messages: registering the sender's buffer, fi_read
 *   ofi.c     the ops table: completions, errors, sleeping
 */
#ifndef FERRY_OFI_H
#define FERRY_OFI_H

#include <rdma/fabric.h>
#include <rdma/fi_domain.h>
#include <stddef.h>
#include <stdint.h>

#include "transports/ofi/codec.h"
#include "transports/ofi/lib.h"
#include "transports/transport.h"

/* Frames travel as tagged messages with this tag; rendezvous data moves by
 * fi_read and never matches a receive. */
#define OFI_TAG_FRAME 0x4652ULL

/* A frame never exceeds one rxm eager buffer (16 KiB), which keeps it a
 * single copy on tcp;ofi_rxm. */
#define OFI_FRAME_MAX 16384
#define OFI_MAX_EAGER (OFI_FRAME_MAX - sizeof(struct ferry_hdr))
#define OFI_TX_SLOTS  64
#define OFI_RX_BUFS   64
/* Largest single fi_read; longer pulls are split, a few in flight. */
#define OFI_READ_CHUNK  ((size_t)8 << 20)
#define OFI_READS_AHEAD 4

enum ofi_op { OFI_OP_RECV = 1, OFI_OP_SEND, OFI_OP_READ };

/* The transport's own frame: are you there? Sent to a peer that owes us a
 * FIN and has been silent, so a connection that died quietly is noticed
 * (rxm then refuses every post, see stall_since). Dropped on arrival. */
#define OFI_FRAME_PING (FRAME_TRANSPORT + 1)
/* Silence from such a peer before it is pinged (ms), and between pings. */
#define OFI_PING_MS 1000

/* Every operation's context starts with this (FI_CONTEXT/FI_CONTEXT2). */
struct ofi_ctx {
    struct fi_context2 fi;
    uint8_t op;
};

struct ofi_rts;

struct ofi_peer {
    fi_addr_t addr;
    int resolved; /* its address is in the AV */
    int failed;   /* a completion error ended it: sends fail from now on */
    int told;     /* the runtime knows (ferry_peer_lost) */
    /* When posting to it first found no room, of the refusals since the
     * last success (0: none). rxm answers EAGAIN for ever to a peer whose
     * process is gone; after peer_timeout_ms of that it is declared lost. */
    int64_t stall_since;
    int64_t heard; /* when a frame from it last arrived (ms) */
    char host[OFI_HOST_MAX];
    struct ofi_rts *rts; /* our large sends it may still read */
};

struct ofi_state {
    struct fi_info *info;
    struct fid_fabric *fabric;
    struct fid_domain *domain;
    struct fid_av *av;
    struct fid_cq *cq;
    struct fid_ep *ep;
    int wait_fd; /* the CQ's wait fd, or -1 */
    int wake_fd; /* an eventfd another thread rings to end a sleep, or -1 */
    uint64_t mr_mode;
    uint64_t next_key; /* requested keys when the provider does not pick them */
    size_t inject_max; /* frames up to this size are injected */
    size_t read_max;   /* largest fi_read */
    int has_source;    /* completions name the sender's address */
    int size, me;
    char host[OFI_HOST_MAX];
    ferry_frame_fn deliver;
    struct ofi_peer *peers; /* [size] */
    int *rank_of;           /* [size]: fi_addr (an AV table index) to rank */
    size_t nrank_of;
    int lost;                /* peers failed since the runtime was last told */
    int64_t peer_timeout_ms; /* FERRY_OFI_PEER_TIMEOUT (s); 0: never */
};

extern struct ofi_state ofi;

/* fabric.c */
int ofi_fabric_open(char *why, size_t whylen);
void ofi_fabric_close(void);
/* "provider tcp;ofi_rxm, fabric ..., domain ..." for --verbose. */
void ofi_fabric_describe(char *buf, size_t len);
/* Register [buf, buf+len) for access; binds it to the endpoint when the
 * provider asks for that. */
int ofi_mr_reg(void *buf, size_t len, uint64_t access, struct fid_mr **mr);

/* addr.c */
int ofi_addr_publish(void);
int ofi_addr_resolve(int rank);

/* eager.c */
int ofi_eager_init(void);
void ofi_eager_fini(void);
int ofi_eager_send(int rank, const struct ferry_hdr *h, const void *p, size_t len);
/* A receive or send completed; error is 0 or a positive fi errno. */
void ofi_eager_recv_done(struct ofi_ctx *c, size_t len, uint64_t tag, int source, int error);
void ofi_eager_send_done(struct ofi_ctx *c, int error, const char *why);
/* Re-post receive buffers that could not be posted; 1 when all are posted. */
int ofi_eager_repost(void);
int ofi_eager_busy(void);
/* Send a ping frame to rank (see OFI_FRAME_PING). */
void ofi_eager_ping(int rank);

/* rndv.c */
/* Register the buffer an outgoing RTS names and fill its key. */
int ofi_rndv_prepare(int rank, struct ferry_rndv *r);
/* The peer is done with (or failed) the large send cookie. */
void ofi_rndv_release(int rank, uint64_t cookie);
/* Forget every large send to rank (the runtime fails them). */
void ofi_rndv_fail_peer(int rank);
/* Whether rank still has to read (and FIN) a large send of ours. */
int ofi_rndv_owed(int rank);
int ofi_rndv_pull(int rank, const struct ferry_rndv *r, void *dst, struct ferry_pull *op);
void ofi_rndv_read_done(struct ofi_ctx *c, int error, const char *why);
/* Post reads that found no room earlier; returns how many were posted. */
int ofi_rndv_progress(void);
void ofi_rndv_fini(void);

/* ofi.c */
/* Posting to rank found no room (EAGAIN), or succeeded (ok): keeps the
 * stall clock; declares the peer lost when it has stalled too long. */
void ofi_peer_stalled(int rank, const char *what);
void ofi_peer_ok(int rank);
int64_t ofi_now_ms(void);
/* A peer's operation failed for good: say so once, naming rank and host;
 * the runtime hears of it at the end of the next poll. */
void ofi_peer_failed(int rank, const char *what, const char *why);

#endif
