/* Frames from a peer (runtime/port/frame.c, flow.c, extra.c, watch.c): a
 * job of one whose rank also receives frames the fuzzer makes, as if a
 * peer's transport had delivered them, between calls of the native API
 * that set up ports, limits, sets, posted receives, sends and large sends.
 * The transport vouches only for the sender's rank; every other header
 * field and payload byte is hostile. A large message's pull writes the
 * size the runtime asked for into the receive buffer (exactly as large as
 * the receive said), so a runtime that let a peer's size past its checks
 * is caught there.
 *
 * Input: ops [op][operands]; see the switch below. (Operands are read in
 * separate statements: the order in which a call's arguments are evaluated
 * differs between compilers, and the corpus must replay alike.) */
#include "include/ferry.h"
#include "runtime/core/world.h"
#include "runtime/port/flow.h"
#include "runtime/port/ool.h"
#include "runtime/port/port.h"
#include "runtime/progress/request.h"
#include "transports/shm/memheap.h"
#include "tests/fuzz/fuzz.h"

#define NPORTS     8
#define NRECVS     8
#define NSENDS     4
#define LARGE_SEND (96 * 1024) /* beyond the self transport's eager limit */
#define OPS_MAX    256

static struct ferry_transport_ops fuzz_tp;
static char large[LARGE_SEND];

/* A peer's buffer is never read: the pull writes what the runtime asked for. */
static int fuzz_pull(int rank, const struct ferry_rndv *r, void *dst, struct ferry_pull *op)
{
    if (r->len) memset(dst, 0xAB, r->len);
    op->error = FERRY_OK;
    op->done = 1;
    return FERRY_OK;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    unsetenv("PMI_FD"); /* a job of one */
    fuzz_tp = ferry_transport_self;
    fuzz_tp.pull = fuzz_pull;
    return 0;
}

struct recv {
    ferry_request_t req;
    char *buf;
};

static ferry_port_t ports[NPORTS];
static int nports;
static struct recv recvs[NRECVS];
static ferry_request_t sends[NSENDS];

static ferry_port_t pick(struct fz *f)
{
    uint8_t i = fz_u8(f);
    return i % (nports + 1) == (unsigned)nports ? ferry_port_of_rank(0) : ports[i % (nports + 1)];
}

static void recv_msg(struct fz *f, ferry_port_t on, void *heap)
{
    size_t cap = fz_u16(f) % 2048;
    ferry_port_t names[8];
    ferry_region_t regions[8];
    ferry_message_t m = {.body = malloc(cap ? cap : 1), .len = cap};
    m.ports = names;
    m.nports = fz_u8(f) % 9;
    m.regions = regions;
    m.nregions = fz_u8(f) % 9;
    FUZZ_CHECK(m.body != NULL);
    if (ferry_msg_recv(on, &m, 0) == FERRY_OK) {
        FUZZ_CHECK(m.len <= cap && m.nports <= 8 && m.nregions <= 8);
        /* Regions now belong to this rank: live blocks as long as said. */
        for (size_t i = 0; i < m.nregions; i++) {
            char *a = regions[i].addr;
            size_t usable =
                a > (char *)heap ? memheap_usable(heap, (uint64_t)(a - (char *)heap)) : 0;
            FUZZ_CHECK(usable > 0 && usable >= regions[i].len);
            FUZZ_CHECK(ferry_mem_free(a) == FERRY_OK);
        }
    }
    free(m.body);
}

static void send_msg(struct fz *f, ferry_port_t to)
{
    size_t n;
    const uint8_t *body = fz_bytes(f, fz_u8(f), &n);
    ferry_port_t carried[2] = {ports[0], ferry_port_of_rank(0)};
    ferry_message_t m = {.dest = to, .body = (void *)body, .len = n, .id = fz_u8(f)};
    uint8_t how = fz_u8(f);
    if (how & 1) m.reply = ferry_port_of_rank(0);
    if (how & 2) {
        m.ports = carried;
        m.nports = nports ? 2 : 1;
        if (!nports) carried[0] = carried[1];
    }
    /* A NOWAIT send to a port of limit 0 (or one a frame said is) waits
     * until a receive takes it, which in a job of one is never: a known
     * problem of the send modes, stepped around with a zero timeout. */
    ferry_port_status_t st;
    struct dest *e = dest_get(to);
    int sync = (e && e->sync) || (ferry_port_status(to, &st) == FERRY_OK && !st.qlimit);
    ferry_msg_send(&m, sync ? FERRY_SEND_TIMEOUT : FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL);
}

static void inject(struct fz *f)
{
    struct ferry_hdr h;
    uint8_t how = fz_u8(f);
    fz_fill(f, &h, sizeof h);
    h.src = 0; /* the transport vouches for the sender */
    h.kind = (uint16_t)(how & 0x80 ? h.kind : h.kind % 32);
    if (how & 1) {
        /* A port of this rank, as a peer that knows its name would. */
        ferry_port_t p = pick(f);
        h.port = p.index | (how & 2 ? 0 : h.port & PORT_ONCE_BIT);
        h.gen = p.gen;
    }
    if (how & 4 && sends[h.tag % NSENDS]) h.tag = sends[h.tag % NSENDS]->cookie;
    size_t n;
    const uint8_t *p = fz_bytes(f, fz_u16(f) % 4096, &n);
    void *payload = fz_dup(p, n);
    frame_arrived(&h, payload, n);
    free(payload);
}

static void one_op(struct fz *f, void *heap)
{
    uint8_t op = fz_u8(f);
    switch (op % 16) {
    case 0: /* a port, with a queue limit */
        if (nports < NPORTS && ferry_port_alloc(&ports[nports], fz_u8(f) % 5) == FERRY_OK) nports++;
        break;
    case 1: /* destroy one; its name stays, dead */
        if (nports) ferry_port_destroy(ports[fz_u8(f) % nports]);
        break;
    case 2: /* a set, or a port into the first set */
        if (nports < NPORTS && op & 0x10) {
            if (ferry_portset_alloc(&ports[nports]) == FERRY_OK) nports++;
        } else if (nports > 1) {
            ferry_port_t set = ports[fz_u8(f) % nports];
            ferry_portset_add(set, ports[fz_u8(f) % nports]);
        }
        break;
    case 3: { /* post a receive, exactly as large as it says */
        struct recv *r = &recvs[fz_u8(f) % NRECVS];
        if (r->req) break;
        ferry_port_t on = pick(f);
        size_t cap = op & 0x10 ? fz_u32(f) % (LARGE_SEND + 1024) : fz_u8(f);
        r->buf = malloc(cap ? cap : 1);
        FUZZ_CHECK(r->buf != NULL);
        if (ferry_irecv(on, r->buf, cap, &r->req) != FERRY_OK) {
            free(r->buf);
            r->buf = NULL;
            r->req = NULL;
        }
        break;
    }
    case 4: { /* test one */
        struct recv *r = &recvs[fz_u8(f) % NRECVS];
        int done = 0;
        ferry_status_t st;
        if (r->req) ferry_test(&r->req, &done, &st); /* an error when it failed */
        if (done) {
            free(r->buf);
            r->buf = NULL;
        }
        break;
    }
    case 5:
        recv_msg(f, pick(f), heap);
        break;
    case 6:
        send_msg(f, pick(f));
        break;
    case 7: { /* a large send, waiting for its pull */
        ferry_request_t *s = &sends[fz_u8(f) % NSENDS];
        if (!*s && nports) ferry_isend(ports[fz_u8(f) % nports], large, LARGE_SEND, s);
        break;
    }
    case 8: { /* test a large send */
        ferry_request_t *s = &sends[fz_u8(f) % NSENDS];
        int done;
        if (*s) ferry_test(s, &done, NULL);
        break;
    }
    case 9:
        if (nports) {
            ferry_port_t p = ports[fz_u8(f) % nports];
            ferry_port_set_qlimit(p, fz_u8(f) % 5);
        }
        break;
    case 10:
        if (nports) {
            ferry_port_t p = ports[fz_u8(f) % nports];
            ferry_port_notify_dead(p, pick(f));
        }
        break;
    default:
        inject(f);
    }
    ferry_progress();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    FUZZ_CHECK(ferry_init(NULL, NULL) == FERRY_OK && ferry_size() == 1);
    ferry_w.peers[0].tp = &fuzz_tp;
    /* A block of the rank's heap, for regions a frame may name. */
    void *block;
    FUZZ_CHECK(ferry_mem_alloc(512, &block) == FERRY_OK);
    char *heap = ool_addr(0);
    FUZZ_CHECK(memheap_usable(heap, (uint64_t)((char *)block - heap)) >= 512);
    nports = 0;
    for (int i = 0; i < OPS_MAX && f.n; i++) one_op(&f, heap);

    /* Receives still posted are withdrawn; the ports go, which answers the
     * large sends queued on them. */
    for (int i = 0; i < NRECVS; i++) {
        struct recv *r = &recvs[i];
        int done;
        if (r->req && port_recv_cancel(r->req))
            req_free(r->req);
        else if (r->req) {
            /* Matched, so finished: its pull cannot wait on anything. */
            ferry_test(&r->req, &done, NULL);
            FUZZ_CHECK(done);
        }
        free(r->buf);
        r->buf = NULL;
        r->req = NULL;
    }
    for (int i = 0; i < nports; i++) ferry_port_destroy(ports[i]);
    ferry_progress();
    ferry_mem_free(block);
    for (int i = 0; i < NSENDS; i++) {
        int done = 0;
        if (sends[i]) ferry_test(&sends[i], &done, NULL);
    }
    FUZZ_CHECK(ferry_finalize() == FERRY_OK);
    /* A large send a forged frame left waiting forever ends with the job. */
    for (int i = 0; i < NSENDS; i++)
        if (sends[i]) {
            req_free(sends[i]);
            sends[i] = NULL;
        }
    return 0;
}
