/* Soak: for a set time every rank sends a random mix of messages to random
 * ports of random ranks (itself included) — sizes from 0 B to 4 MiB, blocking
 * with a timeout, non-blocking, refused-when-full, out-of-line regions — and
 * receives from a port set and its well-known port, while rank 0 also serves
 * RPCs. Every byte is checked, and so is every (sender, port) stream: its
 * numbers must arrive one after another, none lost, none twice. At the end
 * each rank says how many messages it sent on each stream and the receivers
 * check they got exactly those.
 * Usage: ferryrun -n N soak [-t SECONDS] [-s SEED] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ferry.h"

#define NPORTS   3 /* per rank: the well-known port and two in a set */
#define MAX_SIZE (4u << 20)
#define RPC_ID   0x5250
#define FINAL_ID 1 /* a sender's last message to a rank: its stream counts */

struct head { /* at the start of every data message */
    uint32_t src, port, len;
    uint64_t n; /* the message's number on its (src, port) stream */
};

static int me, size;
static ferry_port_t ports[NPORTS], set, *peer_ports; /* [size][NPORTS] */
static uint64_t *sent, *expect;                      /* per (peer, port) stream */
static uint64_t *final;                              /* per stream: what its sender says it sent */
static int finals;                                   /* ranks whose final counts came */
static uint64_t msgs, bytes, errors, timeouts, refused, rpcs;
static unsigned seed;
static char *buf;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void error(const char *what, int rc)
{
    fprintf(stderr, "soak[%d]: %s: %s\n", me, what, ferry_strerror(rc));
    errors++;
}

static unsigned char pattern(const struct head *h, size_t i)
{
    return (unsigned char)(h->src * 31 + h->port * 7 + h->n * 13 + i);
}

static size_t pick_size(void)
{
    unsigned r = (unsigned)rand_r(&seed) % 100;
    if (r < 50) return (size_t)rand_r(&seed) % 256;
    if (r < 85) return (size_t)rand_r(&seed) % 32768;
    if (r < 98) return (size_t)rand_r(&seed) % (512u << 10);
    return (size_t)rand_r(&seed) % MAX_SIZE;
}

static void fill(char *p, const struct head *h)
{
    memcpy(p, h, sizeof *h);
    for (size_t i = sizeof *h; i < h->len; i++) p[i] = (char)pattern(h, i);
}

static void check(const char *p, size_t len, int source, ferry_port_t at)
{
    struct head h;
    if (len < sizeof h) {
        fprintf(stderr, "soak[%d]: a %zu-byte message from %d\n", me, len, source);
        errors++;
        return;
    }
    memcpy(&h, p, sizeof h);
    int port = -1;
    for (int i = 0; i < NPORTS; i++)
        if (ferry_port_equal(at, ports[i])) port = i;
    uint64_t *e = &expect[(size_t)source * NPORTS + (port < 0 ? 0 : (size_t)port)];
    if (h.src != (uint32_t)source || (int)h.port != port || h.len != len || h.n != *e) {
        fprintf(stderr,
                "soak[%d]: stream (%d, %d): got message %llu (src %u port %u len %u of %zu), "
                "expected %llu\n",
                me, source, port, (unsigned long long)h.n, h.src, h.port, h.len, len,
                (unsigned long long)*e);
        errors++;
        if (h.n >= *e) *e = h.n + 1;
        return;
    }
    (*e)++;
    size_t bad = 0;
    for (size_t i = sizeof h; i < len; i++) bad += (unsigned char)p[i] != pattern(&h, i);
    if (bad) {
        fprintf(stderr, "soak[%d]: %zu bytes differ in message %llu from %d\n", me, bad,
                (unsigned long long)h.n, source);
        errors++;
    }
    msgs++;
    bytes += len;
}

/* Handle one received message: data, or (rank 0) an RPC to answer. */
static void consume(ferry_message_t *m, int rc, ferry_port_t from)
{
    if (rc) {
        error("receive", rc);
        return;
    }
    if (m->id == FINAL_ID && m->len == NPORTS * sizeof(uint64_t) && m->nregions == 0) {
        memcpy(&final[(size_t)m->source * NPORTS], buf, NPORTS * sizeof(uint64_t));
        finals++;
        return;
    }
    if (m->id == RPC_ID) {
        for (size_t i = 0; i < m->len; i++) buf[i] = (char)~buf[i];
        ferry_message_t rep = {.dest = m->reply, .body = buf, .len = m->len, .id = RPC_ID + 1};
        ferry_msg_send(&rep, FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL);
        return;
    }
    if (m->nregions == 1) {
        check(m->regions[0].addr, m->regions[0].len, m->source, from);
        rc = ferry_mem_free(m->regions[0].addr);
        if (rc) error("freeing a received region", rc);
        return;
    }
    check(buf, m->len, m->source, from);
}

/* Take what has arrived, without waiting. */
static int drain(void)
{
    int n = 0;
    for (;;) {
        ferry_region_t reg;
        ferry_message_t m = {.body = buf, .len = MAX_SIZE, .regions = &reg, .nregions = 1};
        int rc = ferry_msg_recv(set, &m, 0);
        if (rc == FERRY_ERR_TIMEOUT) {
            m = (ferry_message_t){.body = buf, .len = MAX_SIZE, .regions = &reg, .nregions = 1};
            rc = ferry_msg_recv(ports[0], &m, 0);
            if (rc == FERRY_ERR_TIMEOUT) return n;
        }
        consume(&m, rc, m.dest);
        n++;
    }
}

static void send_one(char *out)
{
    int dest = rand_r(&seed) % size, port = rand_r(&seed) % NPORTS;
    ferry_port_t to = peer_ports[(size_t)dest * NPORTS + (size_t)port];
    uint64_t *n = &sent[(size_t)dest * NPORTS + (size_t)port];
    struct head h = {(uint32_t)me, (uint32_t)port, (uint32_t)pick_size(), *n};
    if (h.len < sizeof h) h.len = sizeof h;
    unsigned how = (unsigned)rand_r(&seed) % 10;
    int rc;
    if (how < 2 && ferry_is_local(dest)) {
        /* Out of line: a heap region that moves to the receiver. */
        void *r;
        if ((rc = ferry_mem_alloc(h.len, &r))) {
            error("ferry_mem_alloc", rc);
            return;
        }
        fill(r, &h);
        ferry_region_t reg = {r, h.len};
        ferry_message_t m = {.dest = to, .regions = &reg, .nregions = 1};
        rc = ferry_msg_send(&m, FERRY_SEND_TIMEOUT, 2000, FERRY_PORT_NULL);
        if (rc) ferry_mem_free(r); /* not delivered: still ours */
    } else if (how < 4) {
        fill(out, &h);
        ferry_request_t req;
        rc = ferry_isend(to, out, h.len, &req);
        /* Keep receiving while it completes, or two ranks sending to each
         * other's full queues would wait for ever. */
        int done = 0;
        while (!rc && !done) {
            rc = ferry_test(&req, &done, NULL);
            if (!done) drain();
        }
    } else {
        fill(out, &h);
        /* A large message is pulled by its receiver, so its send waits for
         * that receiver; with a timeout, ranks sending to each other time
         * out instead of waiting for ever (as blocking large sends would,
         * in MPI too). */
        enum ferry_send_mode mode =
            how < 6 && h.len <= 16384 ? FERRY_SEND_NOWAIT : FERRY_SEND_TIMEOUT;
        ferry_message_t m = {.dest = to, .body = out, .len = h.len};
        rc = ferry_msg_send(&m, mode, 50, FERRY_PORT_NULL);
    }
    if (rc == FERRY_OK)
        (*n)++;
    else if (rc == FERRY_ERR_TIMEOUT)
        timeouts++;
    else if (rc == FERRY_ERR_WOULDBLOCK)
        refused++;
    else
        error("send", rc);
}

static void call_rank0(char *out)
{
    size_t len = (size_t)rand_r(&seed) % 8192;
    for (size_t i = 0; i < len; i++) out[i] = (char)(i ^ (size_t)me);
    static char back[8192];
    ferry_message_t q = {.body = out, .len = len, .id = RPC_ID};
    ferry_message_t a = {.body = back, .len = sizeof back};
    int rc = ferry_rpc(peer_ports[0], &q, &a, 2000);
    if (rc == FERRY_ERR_TIMEOUT) {
        timeouts++;
        return;
    }
    if (rc || a.len != len || a.id != RPC_ID + 1) {
        error("rpc", rc ? rc : FERRY_ERR_INTERNAL);
        return;
    }
    for (size_t i = 0; i < len; i++)
        if (back[i] != (char)~(char)(i ^ (size_t)me)) {
            error("rpc reply content", FERRY_ERR_INTERNAL);
            return;
        }
    rpcs++;
}

/* Tell everyone how many messages each of its streams from me carried,
 * then receive until every stream to me is complete. */
static void finish(void)
{
    for (int r = 0; r < size; r++) {
        uint64_t counts[NPORTS];
        for (int p = 0; p < NPORTS; p++) counts[p] = sent[(size_t)r * NPORTS + (size_t)p];
        ferry_port_t done_port = peer_ports[(size_t)r * NPORTS + 1];
        ferry_message_t m = {
            .dest = done_port, .body = counts, .len = sizeof counts, .id = FINAL_ID};
        int rc;
        while ((rc = ferry_msg_send(&m, FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL)) ==
               FERRY_ERR_WOULDBLOCK)
            drain();
        if (rc) error("final counts", rc);
    }
    double t0 = now();
    /* Counts come on one port; data on the others may still be on its way
     * (no order across ports): go on until every stream is complete. */
    while (finals < size || memcmp(final, expect, (size_t)size * NPORTS * sizeof *final) != 0) {
        if (now() - t0 > 120) {
            fprintf(stderr, "soak[%d]: streams incomplete after 120 s\n", me);
            errors++;
            break;
        }
        ferry_region_t reg;
        ferry_message_t m = {.body = buf, .len = MAX_SIZE, .regions = &reg, .nregions = 1};
        int rc = ferry_msg_recv(set, &m, 10);
        if (rc == FERRY_ERR_TIMEOUT) {
            m = (ferry_message_t){.body = buf, .len = MAX_SIZE, .regions = &reg, .nregions = 1};
            rc = ferry_msg_recv(ports[0], &m, 0);
            if (rc == FERRY_ERR_TIMEOUT) continue;
        }
        consume(&m, rc, m.dest);
    }
    drain();
    for (int r = 0; r < size; r++)
        for (int p = 0; p < NPORTS; p++)
            if (final[(size_t)r * NPORTS + (size_t)p] != expect[(size_t)r * NPORTS + (size_t)p]) {
                fprintf(stderr, "soak[%d]: stream (%d, %d): %llu sent, %llu received\n", me, r, p,
                        (unsigned long long) final[(size_t)r * NPORTS + (size_t)p],
                        (unsigned long long)expect[(size_t)r * NPORTS + (size_t)p]);
                errors++;
            }
}

int main(int argc, char **argv)
{
    double seconds = 10;
    unsigned base = 1;
    int opt;
    while ((opt = getopt(argc, argv, "t:s:")) != -1) {
        if (opt == 't')
            seconds = atof(optarg);
        else if (opt == 's')
            base = (unsigned)atoi(optarg);
        else {
            fprintf(stderr, "usage: soak [-t SECONDS] [-s SEED]\n");
            return 2;
        }
    }
    int rc = ferry_init(&argc, &argv);
    if (rc) {
        fprintf(stderr, "soak: ferry_init: %s\n", ferry_strerror(rc));
        return 1;
    }
    me = ferry_rank();
    size = ferry_size();
    seed = base * 7919u + (unsigned)me;
    buf = malloc(MAX_SIZE);
    char *out = malloc(MAX_SIZE);
    peer_ports = calloc((size_t)size * NPORTS, sizeof *peer_ports);
    sent = calloc((size_t)size * NPORTS, sizeof *sent);
    expect = calloc((size_t)size * NPORTS, sizeof *expect);
    final = calloc((size_t)size * NPORTS, sizeof *final);
    ports[0] = ferry_port_of_rank(me);
    ferry_portset_alloc(&set);
    char name[64];
    for (int i = 1; i < NPORTS; i++) {
        ferry_port_alloc(&ports[i], (unsigned)(8 << i));
        ferry_portset_add(set, ports[i]);
        snprintf(name, sizeof name, "soak.%d.%d", me, i);
        if ((rc = ferry_name_register(name, ports[i]))) error("register", rc);
    }
    for (int r = 0; r < size; r++) {
        peer_ports[(size_t)r * NPORTS] = ferry_port_of_rank(r);
        for (int i = 1; i < NPORTS; i++) {
            snprintf(name, sizeof name, "soak.%d.%d", r, i);
            if ((rc = ferry_name_lookup(name, &peer_ports[(size_t)r * NPORTS + (size_t)i], 30000)))
                error("lookup", rc);
        }
    }
    double end = now() + seconds;
    while (now() < end && !errors) {
        unsigned r = (unsigned)rand_r(&seed) % 100;
        if (r < 60)
            send_one(out);
        else if (r < 63 && me != 0)
            call_rank0(out);
        drain();
    }
    finish();
    printf("soak[%d]: %llu messages, %llu bytes received and checked; %llu RPCs; %llu sends "
           "timed out, %llu refused (never delivered, as they said); %llu errors\n",
           me, (unsigned long long)msgs, (unsigned long long)bytes, (unsigned long long)rpcs,
           (unsigned long long)timeouts, (unsigned long long)refused, (unsigned long long)errors);
    rc = ferry_finalize();
    free(buf);
    free(out);
    return errors || rc ? 1 : 0;
}
