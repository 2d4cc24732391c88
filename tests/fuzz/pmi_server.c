/* The launcher's PMI-1 server (launcher/pmi_server.c, with its KVS and name
 * service) fed by three ranks whose bytes the fuzzer writes, through real
 * socket pairs as ferryrun's ranks talk to it: requests cut anywhere, ranks
 * that exit, deadlines that pass. In node mode (a job over several nodes)
 * barriers and names are completed by the caller, and puts arrive from
 * other nodes. Every answer the server writes must be a well-formed PMI
 * line, and a rank's first bad request only is reported.
 *
 * Input: [mode] then records [op][...]; op's low bits pick the rank. */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher/pmi_server.h"
#include "runtime/wireup/pmi_wire.h"
#include "tests/fuzz/fuzz.h"

#define NRANKS    3
#define JOB_SIZE  5 /* in node mode, ranks 3 and 4 run elsewhere */
#define WRITE_MAX 4096

struct client {
    int fd; /* the rank's end; -1 once it has "exited" */
    int server_fd, gone, bad_reports;
    struct pmi_reader rd;
};

static struct client cl[NRANKS];
static struct pmi_msg msg;
static int barrier_pending, name_rank = -1;
static char name_cmd[64];

static void on_abort(void *ctx, int rank, long code, const char *m)
{
    FUZZ_CHECK(rank >= 0 && rank < NRANKS);
}

static void on_bad_request(void *ctx, int rank, const char *what)
{
    FUZZ_CHECK(rank >= 0 && rank < NRANKS && what);
    FUZZ_CHECK(++cl[rank].bad_reports == 1);
}

static void on_put(void *ctx, const char *key, const char *val)
{
    FUZZ_CHECK(key && *key && val && strlen(key) <= PMI_KEYLEN_MAX &&
               strlen(val) <= PMI_VALLEN_MAX);
}

static void on_barrier(void *ctx)
{
    barrier_pending = 1;
}

static void on_name(void *ctx, int rank, const char *cmd, const char *name, const char *port,
                    const char *timeout_ms)
{
    FUZZ_CHECK(rank >= 0 && rank < NRANKS && cmd && name && *name);
    name_rank = rank;
    snprintf(name_cmd, sizeof name_cmd, "%s", cmd);
}

/* Read every answer the server wrote; each must parse. */
static void drain_answers(void)
{
    for (int r = 0; r < NRANKS; r++) {
        if (cl[r].fd < 0) continue;
        int rc;
        do {
            while ((rc = pmi_next_msg(&cl[r].rd, &msg)) != 0) FUZZ_CHECK(rc == 1);
            rc = pmi_reader_fill(&cl[r].rd);
        } while (rc > 0);
        /* A server that closes a connection with requests unread resets it. */
        FUZZ_CHECK(rc == 0 || rc == PMI_WIRE_EOF || (rc == PMI_WIRE_IO && errno == ECONNRESET));
    }
}

static int pending_bytes(int fd)
{
    int n = 0;
    return ioctl(fd, FIONREAD, &n) == 0 ? n : 0;
}

/* As the launcher does when poll says the rank's socket is readable. */
static void service(struct pmi_server *s, int r)
{
    for (int k = 0; k < 64; k++) {
        int fd = pmi_server_fd(s, r);
        FUZZ_CHECK(fd == -1 || fd == cl[r].server_fd);
        if (fd < 0 || (k && !pending_bytes(fd))) break;
        int closed = pmi_server_service(s, r);
        drain_answers();
        if (closed) {
            FUZZ_CHECK(pmi_server_fd(s, r) == -1);
            break;
        }
    }
}

/* A string of the input: [length][bytes], NUL-terminated in buf. */
static const char *str(struct fz *f, char *buf, size_t cap)
{
    size_t n;
    const uint8_t *p = fz_bytes(f, fz_u8(f) % cap, &n);
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

/* What the other nodes and ferryrun do to a node's server. */
static void from_elsewhere(struct pmi_server *s, struct fz *f)
{
    char k[PMI_KEYLEN_MAX + 2], v[PMI_VALLEN_MAX + 2];
    switch (fz_u8(f) % 5) {
    case 0: {
        const char *key = str(f, k, sizeof k - 1);
        int rc = pmi_server_kvs_put(s, key, str(f, v, sizeof v - 1));
        FUZZ_CHECK(rc <= 0);
        break;
    }
    case 1:
        if (barrier_pending) pmi_server_barrier_release(s);
        barrier_pending = 0;
        break;
    case 2: /* the answer to a name request, as ferryrun gives it */
        if (name_rank >= 0) {
            const char *val = str(f, v, sizeof v - 1);
            pmi_server_answer(s, name_rank, name_cmd, fz_u8(f) & 1 ? "0" : "-1", "port", val);
        }
        name_rank = -1;
        break;
    case 3: /* a rank of another node ended */
        pmi_server_announce_exit(s, -1, NRANKS + fz_u8(f) % (JOB_SIZE - NRANKS));
        break;
    default:
        pmi_server_lenient(s);
    }
    FUZZ_CHECK(pmi_server_barrier_count(s) >= 0 && pmi_server_barrier_count(s) <= NRANKS);
    drain_answers();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    int node = fz_u8(&f) & 1;
    struct pmi_server_hooks hooks = {.on_abort = on_abort, .on_bad_request = on_bad_request};
    if (node) {
        hooks.on_put = on_put;
        hooks.on_barrier = on_barrier;
        hooks.on_name = on_name;
    }
    struct pmi_server *s =
        node ? pmi_server_create_node(NRANKS, JOB_SIZE, "kvs_fuzz_0", "(vector,(0,2,3))", &hooks)
             : pmi_server_create(NRANKS, "kvs_fuzz_0", &hooks);
    FUZZ_CHECK(s != NULL);
    barrier_pending = 0;
    name_rank = -1;
    for (int r = 0; r < NRANKS; r++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) abort();
        fcntl(sv[1], F_SETFL, O_NONBLOCK);
        /* A rank reads its answers while the server writes them; this one
         * reads between calls, so the server's end gets room for all the
         * answers to one call's requests (else a send waits its 2 s). */
        int room = 64 << 20;
        if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &room, sizeof room) != 0)
            setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &room, sizeof room);
        cl[r] = (struct client){.fd = sv[1], .server_fd = sv[0]};
        pmi_reader_init(&cl[r].rd, sv[1]);
        pmi_server_attach(s, r, sv[0]);
    }
    while (f.n) {
        uint8_t op = fz_u8(&f);
        int r = (op & 3) % NRANKS;
        switch (op >> 2 & 7) {
        default: { /* the rank writes bytes */
            size_t n;
            const uint8_t *p = fz_bytes(&f, fz_u16(&f) % WRITE_MAX, &n);
            if (cl[r].fd >= 0 && n) send(cl[r].fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
            service(s, r);
            break;
        }
        case 5: /* the rank exits */
            if (cl[r].gone) break;
            close(cl[r].fd);
            cl[r].fd = -1;
            service(s, r);
            pmi_server_rank_gone(s, r);
            cl[r].gone = 1;
            if (op & 0x80) pmi_server_announce_exit(s, r, r);
            drain_answers();
            break;
        case 6: { /* the launcher's clock */
            int waiter = -1, missing = -1;
            pmi_server_tick(s);
            FUZZ_CHECK(pmi_server_next_deadline(s) >= -1);
            if (pmi_server_barrier_stuck(s, &waiter, &missing))
                FUZZ_CHECK(waiter >= 0 && waiter < NRANKS && missing >= 0 && missing < NRANKS &&
                           cl[missing].gone);
            drain_answers();
            break;
        }
        case 7:
            if (node) from_elsewhere(s, &f);
            break;
        }
    }
    pmi_server_destroy(s);
    for (int r = 0; r < NRANKS; r++)
        if (cl[r].fd >= 0) close(cl[r].fd);
    return 0;
}
