/* PMI-1 lines as a rank reads them from its launcher (and the launcher from
 * its ranks): the parser on arbitrary bytes, and both line readers (the
 * non-blocking one and pmi_read_msg) on a stream cut into pieces the fuzzer
 * chooses. Both readers must report exactly what the parser says about
 * each line, one report per newline, whatever the cuts.
 *
 * Input: [n][n piece sizes - 1][stream]. */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/wireup/pmi_wire.h"
#include "tests/fuzz/fuzz.h"

#define STREAM_MAX (1 << 16)

static struct pmi_msg m1, m2;

static void check_parsed(const struct pmi_msg *m, size_t line_len)
{
    FUZZ_CHECK(m->cmd && *m->cmd && strlen(m->cmd) <= PMI_VALLEN_MAX);
    FUZZ_CHECK(m->nfields >= 0 && m->nfields <= PMI_FIELDS_MAX);
    FUZZ_CHECK(m->cmd >= m->buf && m->cmd + strlen(m->cmd) <= m->buf + line_len);
    FUZZ_CHECK(!strchr(m->cmd, ' '));
    for (int i = 0; i < m->nfields; i++) {
        const char *k = m->f[i].key, *v = m->f[i].val;
        FUZZ_CHECK(*k && strlen(k) <= PMI_KEYLEN_MAX && strlen(v) <= PMI_VALLEN_MAX);
        FUZZ_CHECK(!strchr(k, ' ') && !strchr(k, '=') && !strchr(v, ' '));
        FUZZ_CHECK(k >= m->buf && v + strlen(v) <= m->buf + line_len);
        FUZZ_CHECK(pmi_get(m, k) != NULL);
        long x;
        int rc = pmi_get_long(m, k, &x);
        FUZZ_CHECK(rc == PMI_WIRE_OK || rc == PMI_WIRE_MALFORMED);
    }
}

static int same_msg(const struct pmi_msg *a, const struct pmi_msg *b)
{
    if (strcmp(a->cmd, b->cmd) != 0 || a->nfields != b->nfields) return 0;
    for (int i = 0; i < a->nfields; i++)
        if (strcmp(a->f[i].key, b->f[i].key) != 0 || strcmp(a->f[i].val, b->f[i].val) != 0)
            return 0;
    return 1;
}

static void make_pair(int sv[2])
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) abort();
}

/* A parsed line written back with pmi_send must read back the same. */
static void round_trip(const struct pmi_msg *m)
{
    if (m->nfields > 4 || strchr(m->cmd, '=')) return;
    const char *kv[9] = {0};
    for (int i = 0; i < m->nfields; i++) {
        kv[2 * i] = m->f[i].key;
        kv[2 * i + 1] = m->f[i].val;
    }
    int sv[2];
    make_pair(sv);
    /* Never longer than the line it came from: it must fit. */
    FUZZ_CHECK(pmi_send(sv[0], m->cmd, kv[0], kv[1], kv[2], kv[3], kv[4], kv[5], kv[6], kv[7],
                        NULL) == PMI_WIRE_OK);
    struct pmi_reader rd;
    pmi_reader_init(&rd, sv[1]);
    FUZZ_CHECK(pmi_read_msg(&rd, &m2) == PMI_WIRE_OK);
    FUZZ_CHECK(same_msg(m, &m2));
    close(sv[0]);
    close(sv[1]);
}

/* The expected report for each line of the stream. */
struct expect {
    const uint8_t *line;
    size_t len; /* newline included */
};

static void check_report(const struct expect *e, int rc, const struct pmi_msg *got)
{
    if (e->len > PMI_LINE_MAX) {
        FUZZ_CHECK(rc == PMI_WIRE_TOO_LONG);
        return;
    }
    int want = pmi_parse((const char *)e->line, e->len, &m1);
    FUZZ_CHECK(rc == want);
    if (rc == PMI_WIRE_OK) FUZZ_CHECK(same_msg(&m1, got));
}

struct cuts {
    const uint8_t *sizes;
    size_t n, i;
};

static size_t next_cut(struct cuts *c, size_t left)
{
    size_t k = c->n ? (size_t)c->sizes[c->i++ % c->n] + 1 : left;
    return k < left ? k : left;
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) abort();
        p += w;
        n -= (size_t)w;
    }
}

static size_t newlines(const uint8_t *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += p[i] == '\n';
    return k;
}

static void nonblocking_reader(const uint8_t *s, size_t len, struct cuts cuts,
                               const struct expect *ex, size_t nex)
{
    int sv[2];
    make_pair(sv);
    struct pmi_reader rd;
    pmi_reader_init(&rd, sv[1]);
    size_t done = 0, got = 0;
    int rc;
    for (;;) {
        size_t k = next_cut(&cuts, len - done);
        write_all(sv[0], s + done, k);
        done += k;
        if (done == len) close(sv[0]);
        do {
            while ((rc = pmi_next_msg(&rd, &m2)) != 0) {
                FUZZ_CHECK(got < nex);
                check_report(&ex[got++], rc == 1 ? PMI_WIRE_OK : rc, &m2);
            }
            rc = pmi_reader_fill(&rd);
        } while (rc > 0);
        if (done == len) break;
        FUZZ_CHECK(rc == 0);
    }
    FUZZ_CHECK(rc == PMI_WIRE_EOF && got == nex);
    close(sv[1]);
}

static void blocking_reader(const uint8_t *s, size_t len, struct cuts cuts, const struct expect *ex,
                            size_t nex)
{
    /* A pipe, which holds many small writes (a socket's buffer counts
     * each as a packet): a long line is written whole before it is read. */
    int sv[2];
    if (pipe(sv) != 0) abort();
    int room = fcntl(sv[1], F_SETPIPE_SZ, 1 << 20);
    if (room < 0) room = fcntl(sv[1], F_GETPIPE_SZ);
    if (room < 0 || (size_t)room < len) {
        close(sv[0]);
        close(sv[1]);
        return;
    }
    int t = sv[0]; /* writer first, as with the socket pair */
    sv[0] = sv[1];
    sv[1] = t;
    struct pmi_reader rd;
    pmi_reader_init(&rd, sv[1]);
    size_t done = 0, got = 0, ready = 0;
    while (done < len) {
        size_t k = next_cut(&cuts, len - done);
        write_all(sv[0], s + done, k);
        ready += newlines(s + done, k);
        done += k;
        /* Read only what a newline already ended, so no read blocks. */
        while (got < ready) {
            int rc = pmi_read_msg(&rd, &m2);
            check_report(&ex[got++], rc, &m2);
        }
    }
    close(sv[0]);
    FUZZ_CHECK(got == nex && pmi_read_msg(&rd, &m2) == PMI_WIRE_EOF);
    close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    struct cuts cuts = {0};
    cuts.sizes = fz_bytes(&f, fz_u8(&f) % 8, &cuts.n);
    const uint8_t *s = f.p;
    size_t len = f.n;
    if (len > STREAM_MAX) return 0;

    /* The parser on the whole stream as one line. */
    char *copy = fz_dup(s, len);
    int rc = pmi_parse(copy, len, &m1);
    free(copy);
    FUZZ_CHECK(rc <= 0 && rc >= PMI_WIRE_MISSING && rc != PMI_WIRE_EOF && rc != PMI_WIRE_IO);
    FUZZ_CHECK(pmi_wire_strerror(rc) != NULL);
    if (rc == PMI_WIRE_OK) {
        check_parsed(&m1, len);
        round_trip(&m1);
    }

    /* What the readers must report, line by line. */
    size_t nex = newlines(s, len), k = 0, start = 0;
    struct expect *ex = malloc((nex ? nex : 1) * sizeof *ex);
    if (!ex) abort();
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n') {
            ex[k++] = (struct expect){s + start, i + 1 - start};
            start = i + 1;
        }
    nonblocking_reader(s, len, cuts, ex, nex);
    blocking_reader(s, len, cuts, ex, nex);
    free(ex);
    return 0;
}
