/* The schedule engine every collective runs on: a list of rounds, each a
 * set of sends and receives on the communicator's collective context
 * (ctx | 1) followed by local steps (copy, reduce, pack, unpack) that run
 * once the round's messages are done. The MPI layer's background hook
 * advances it, so a nonblocking collective is a request over a schedule
 * and a blocking one starts the same schedule and waits.
 *
 * Every message of one operation carries the operation's sequence number
 * on the communicator (bits 12-31 of the tag, as the internal collectives
 * do) and a sub-tag (bits 0-11, 0 unless an algorithm needs two streams
 * between the same pair); messages between one pair match in the order
 * both sides post them, which every algorithm keeps. */
#ifndef FERRY_MPI_COLL_SCHED_H
#define FERRY_MPI_COLL_SCHED_H

#include <stddef.h>

#include "runtime/mpi/mpi_impl.h"
#include "runtime/mpi/op.h"

enum cs_kind { CS_SEND, CS_RECV, CS_COPY, CS_REDUCE, CS_PACK, CS_UNPACK };

struct cs_step {
    uint8_t kind;
    uint16_t sub;
    int peer; /* comm rank */
    const void *src;
    void *dst;
    size_t len;   /* bytes (send, receive, copy) */
    size_t count; /* elements (reduce, pack, unpack) */
    struct mpi_dtype *dt;
    struct ferry_request *fr;
};

struct coll_sched {
    struct mpi_sched bg; /* first: the hook sees this */
    struct mpi_comm *c;  /* referenced */
    uint32_t tag;        /* the sequence number, shifted */
    struct cs_step *steps;
    size_t nsteps, cap;
    size_t *rend; /* rend[k]: one past round k's last step */
    size_t nrounds, rcap;
    size_t round, rstart; /* progress: the current round and its first step */
    int posted;           /* the current round's messages are started */
    void **mem;           /* scratch freed with the schedule */
    size_t nmem, memcap;
    struct mpi_dtype **held; /* types referenced until the end */
    size_t nheld, heldcap;
    struct mpi_op *op;     /* referenced; the reduction of CS_REDUCE steps */
    struct mpi_dtype *rdt; /* and its datatype */
    int error;             /* MPI class: building ran out of memory, or a step failed */
    /* Room for a short collective's arrays, so building one costs a
     * single allocation. */
    struct cs_step in_steps[12];
    size_t in_rend[12];
    void *in_mem[4];
};

/* A group of comm ranks an algorithm runs over (a node, the node leaders,
 * or the whole communicator when ranks is NULL); me is this rank's index
 * in it. */
struct cs_grp {
    int n, me;
    const int *ranks;
};
static inline int grp_rank(const struct cs_grp *g, int i)
{
    return g->ranks ? g->ranks[i] : i;
}

struct coll_sched *cs_new(struct mpi_comm *c);
/* Scratch of len bytes, freed with the schedule (NULL on failure: the
 * schedule's error is set, and building may go on harmlessly). */
void *cs_alloc(struct coll_sched *s, size_t len);
void cs_hold(struct coll_sched *s, struct mpi_dtype *t);
void cs_set_op(struct coll_sched *s, struct mpi_op *o, struct mpi_dtype *t);

void cs_send(struct coll_sched *s, int peer, const void *buf, size_t len);
void cs_recv(struct coll_sched *s, int peer, void *buf, size_t len);
void cs_send_sub(struct coll_sched *s, int peer, const void *buf, size_t len, unsigned sub);
void cs_recv_sub(struct coll_sched *s, int peer, void *buf, size_t len, unsigned sub);
void cs_copy(struct coll_sched *s, void *dst, const void *src, size_t len);
/* inout = in op inout over count packed elements (the op of cs_set_op). */
void cs_reduce(struct coll_sched *s, const void *in, void *inout, size_t count);
/* Close the current round: what follows waits for it. */
void cs_round(struct coll_sched *s);

/* Packed views of user buffers. cs_in: count elements of t at buf to read,
 * buf itself when contiguous, else a copy packed at the start of the
 * current round (before its messages).
 * cs_out: where to write them, buf itself or scratch; cs_out_done then
 * unpacks the scratch into buf in the current round. */
const void *cs_in(struct coll_sched *s, struct mpi_dtype *t, size_t count, const void *buf);
void *cs_out(struct coll_sched *s, struct mpi_dtype *t, size_t count, void *buf);
void cs_out_done(struct coll_sched *s, struct mpi_dtype *t, size_t count, void *packed, void *buf);

/* Run s: blocking when req is NULL (waits, frees s, raises errors as fn),
 * else a request over it. Frees s on every path. */
int cs_run(struct coll_sched *s, MPI_Request *req, const char *fn);

#endif
