/* The agent-to-launcher protocol (launcher/wire.c, link.c, jobspec.c): a
 * byte stream from a peer, cut where the fuzzer says, read by a link as
 * ferryrun and ferryd read their connections. The link hands over exactly
 * the frames a plain walk of the headers finds, until a bad length closes
 * it; every body then decodes, as its handler decodes it, without reading
 * past its end; a job description that decodes encodes and decodes again
 * to the same bytes.
 *
 * Input: [flags][ncuts][cut sizes - 1][stream]. Flags bit 0: the peer has
 * proved it knows the secret (frames up to WIRE_FRAME_MAX, else small). */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher/jobspec.h"
#include "launcher/link.h"
#include "launcher/names.h"
#include "launcher/wire.h"
#include "tests/fuzz/fuzz.h"

#define STREAM_MAX (1 << 16) /* one send of it fits the socket */

struct expect {
    uint16_t type;
    const uint8_t *body;
    size_t len;
};

struct seen {
    const struct expect *ex;
    size_t nex, got;
};

/* A string as the handlers take it: NULL (and the reader bad) or a copy. */
static void str(struct wread *r, size_t max)
{
    char *s = wread_strdup(r, max);
    FUZZ_CHECK(!s == !!r->bad);
    FUZZ_CHECK(!s || (strlen(s) <= max));
    free(s);
}

static void pairs(struct wread *r)
{
    uint32_t n = wread_u32(r);
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        size_t kl, vl;
        const char *k = wread_bytes(r, &kl), *v = wread_bytes(r, &vl);
        FUZZ_CHECK(r->bad || (k && v));
    }
}

static void job_round_trip(const uint8_t *body, size_t len)
{
    struct jobspec j, j2;
    if (jobspec_decode(&j, body, len) != 0) return;
    FUZZ_CHECK(j.map.np >= 1 && j.map.nnodes >= 1 && j.ntree >= 1 && j.fanout >= 1);
    for (int r = 0; r < j.map.np; r++)
        FUZZ_CHECK(j.map.node_of[r] >= 0 && j.map.node_of[r] < j.map.nnodes);
    for (int t = 1; t < j.ntree; t++)
        FUZZ_CHECK(j.tree_node[t] >= 0 && j.tree_node[t] < j.map.nnodes);
    struct wbuf b1, b2;
    jobspec_encode(&j, &b1);
    FUZZ_CHECK(!b1.oom && b1.len >= WIRE_HDR);
    FUZZ_CHECK(jobspec_decode(&j2, b1.p + WIRE_HDR, b1.len - WIRE_HDR) == 0);
    jobspec_encode(&j2, &b2);
    FUZZ_CHECK(b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0);
    wbuf_free(&b1);
    wbuf_free(&b2);
    jobspec_free(&j);
    jobspec_free(&j2);
}

/* Each body as the handlers in job.c, agent.c and tree.c read it. */
static void decode(uint16_t type, const uint8_t *body, size_t len)
{
    struct wread r;
    wread_init(&r, body, len);
    size_t n;
    switch (type) {
    case W_HELLO:
        wread_u32(&r);
        wread_u32(&r);
        wread_bytes(&r, &n);
        break;
    case W_SPAWNED:
        wread_u32(&r);
        wread_u32(&r);
        str(&r, 512);
        break;
    case W_FENCE_IN:
    case W_FENCE_OUT:
        pairs(&r);
        break;
    case W_OUTPUT:
        wread_u32(&r);
        wread_u8(&r);
        wread_bytes(&r, &n);
        break;
    case W_EXIT:
        wread_u32(&r);
        wread_u32(&r);
        wread_u32(&r);
        break;
    case W_ABORT:
        wread_u32(&r);
        wread_u32(&r);
        str(&r, 4096);
        break;
    case W_ERROR:
        str(&r, HOST_NAME_MAX_LEN);
        str(&r, 4096);
        break;
    case W_BAD_PMI:
        wread_u32(&r);
        str(&r, 4096);
        break;
    case W_NAME_REQ:
        wread_u32(&r);
        str(&r, 64);
        str(&r, NAMES_NAME_MAX + 1);
        str(&r, NAMES_PORT_MAX);
        str(&r, 32);
        break;
    case W_JOB:
        job_round_trip(body, len);
        return;
    case W_NAME_ANS:
        wread_u32(&r);
        str(&r, 64);
        str(&r, 8);
        str(&r, 64);
        str(&r, 1024);
        break;
    case W_KILL:
    case W_RANK_EXITED:
        wread_u32(&r);
        break;
    }
    /* Never past the end, and done means exactly all of it. */
    FUZZ_CHECK(r.left <= len && (r.p == body + (len - r.left)));
    FUZZ_CHECK(!wread_done(&r) || (!r.bad && r.left == 0));
}

static void on_frame(void *ctx, uint16_t type, const uint8_t *body, size_t len)
{
    struct seen *s = ctx;
    FUZZ_CHECK(s->got < s->nex);
    const struct expect *e = &s->ex[s->got++];
    FUZZ_CHECK(type == e->type && len == e->len && (!len || memcmp(body, e->body, len) == 0));
    decode(type, body, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    uint8_t flags = fz_u8(&f);
    size_t ncuts;
    const uint8_t *cuts = fz_bytes(&f, fz_u8(&f) % 8, &ncuts);
    const uint8_t *s = f.p;
    size_t len = f.n;
    if (len > STREAM_MAX) return 0;
    size_t max_frame = flags & 1 ? WIRE_FRAME_MAX : 0;

    /* What a plain walk of the headers finds. */
    struct link l;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) abort();
    link_init(&l, sv[1], 0);
    if (!max_frame) max_frame = l.max_frame;
    l.max_frame = max_frame;
    struct expect *ex = malloc((len / WIRE_HDR + 1) * sizeof *ex);
    FUZZ_CHECK(ex != NULL);
    size_t nex = 0, off = 0;
    int closes = 0;
    while (len - off >= WIRE_HDR) {
        uint16_t type;
        size_t body;
        if (wire_header(s + off, &type, &body) != 0 || body > max_frame) {
            closes = 1;
            break;
        }
        if (len - off - WIRE_HDR < body) break;
        if (type != W_PING) ex[nex++] = (struct expect){type, s + off + WIRE_HDR, body};
        off += WIRE_HDR + body;
    }

    /* The link, fed in pieces. */
    struct seen seen = {ex, nex, 0};
    size_t done = 0, i = 0;
    int rc = 0;
    while (done < len && rc == 0) {
        size_t k = ncuts ? (size_t)cuts[i++ % ncuts] + 1 : len - done;
        if (k > len - done) k = len - done;
        /* The socket takes it all: the link below reads it out each time. */
        FUZZ_CHECK(send(sv[0], s + done, k, MSG_NOSIGNAL) == (ssize_t)k);
        done += k;
        rc = link_read(&l, on_frame, &seen, 0);
    }
    close(sv[0]);
    if (rc == 0) rc = link_read(&l, on_frame, &seen, 0); /* the end of the stream closes it */
    FUZZ_CHECK(rc == -1 && l.fd == -1 && seen.got == nex);
    FUZZ_CHECK(closes ? strstr(l.why, "bad length") != NULL : strstr(l.why, "closed") != NULL);
    link_free(&l);
    free(ex);
    return 0;
}
