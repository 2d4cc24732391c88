/* Typed message bodies between real ranks.
 *
 *   typed [--native R]
 *
 * Every rank sends every rank (itself included) a body holding every type
 * with counts 0, 1 and many (a 100003-byte bytes item makes it a large
 * message), edge values, and the name of a port it allocated. The receiver
 * checks every value against what the sender's generator made, then sends a
 * typed reply to the port named in the body. Once a rank has every body, it
 * hands the next rank the name of a third rank's port, and that rank sends a
 * reply there too. Each port owner checks it got exactly the replies due.
 *
 * Writers swap byte order when ferryrun exports FERRY_TYPED_FORCE_SWAP=1;
 * --native R makes rank R drop that variable, so one job mixes both orders.
 * Each body says whether its sender forced a swap, and the receiver checks
 * that it was converted exactly then. Each rank prints
 *   typed: rank R of N: B bodies, P replies verified; S of M messages swapped
 */
#define _POSIX_C_SOURCE 200809L
#include <ferry.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTYPES          13
#define BIG_BYTES       100003
#define RECV_TIMEOUT_MS 60000

enum kind { KIND_BODY = 1, KIND_HANDOFF = 2, KIND_REPLY = 3 };

static const size_t elem_size[NTYPES + 1] = {0, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 1, 12, 16};

static int rank, size;
static uint8_t forced; /* whether this rank's writers swap */
static unsigned swapped_seen, messages_seen;

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "typed: rank %d: ", rank);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void check_rc(int rc, const char *what)
{
    if (rc != FERRY_OK) die("%s: %s (%d)", what, ferry_strerror(rc), rc);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory");
    return p;
}

/* The element counts of the generated items of type t. */
static size_t count_of(int t, int k)
{
    static const size_t few[] = {0, 1};
    if (k < 2) return few[k];
    return t == FERRY_TYPE_BYTES ? BIG_BYTES : 1000 + (size_t)t;
}

/* The bytes of item (t, k) from src to dst: random bits, so floats include
 * NaNs, infinities and subnormals, compared bit for bit. */
static void generate(void *out, int src, int dst, int t, int k)
{
    uint64_t s = ((uint64_t)src << 40) ^ ((uint64_t)dst << 24) ^ ((uint64_t)t << 8) ^ (uint64_t)k;
    unsigned char *b = out;
    size_t n = count_of(t, k) * elem_size[t];
    for (size_t i = 0; i < n; i++) {
        uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        b[i] = (unsigned char)(z ^ (z >> 31));
    }
}

static const int64_t edge_i64[] = {INT64_MIN, -1, INT64_MAX};
static const uint32_t edge_u32[] = {0x01020304u, 0, UINT32_MAX};

static void edge_f64(double *d)
{
    d[0] = -0.0;
    d[1] = INFINITY;
    d[2] = 4.9e-324;
}

/* A body to dst: kind and swap flag, sender, the reply port and this
 * rank's well-known port, edge values, then every type with every count. */
static void write_body(ferry_typed_writer_t *w, int dst, ferry_port_t reply, void *scratch)
{
    const uint8_t head[2] = {KIND_BODY, forced};
    const int32_t me = rank;
    const ferry_port_t names[3] = {reply, ferry_port_of_rank(rank), FERRY_PORT_NULL};
    double f64[3];
    edge_f64(f64);
    check_rc(ferry_typed_put_u8(w, head, 2), "put kind");
    check_rc(ferry_typed_put_i32(w, &me, 1), "put rank");
    check_rc(ferry_typed_put_port(w, names, 3), "put ports");
    check_rc(ferry_typed_put_i64(w, edge_i64, 3), "put int64 edges");
    check_rc(ferry_typed_put_u32(w, edge_u32, 3), "put uint32 edges");
    check_rc(ferry_typed_put_f64(w, f64, 3), "put float64 edges");
    for (int t = 1; t <= NTYPES; t++)
        for (int k = 0; k < 3; k++) {
            generate(scratch, rank, dst, t, k);
            check_rc(ferry_typed_put(w, (enum ferry_type)t, scratch, count_of(t, k)), "put item");
        }
}

static size_t body_size(void)
{
    ferry_typed_writer_t w;
    void *scratch = xmalloc(BIG_BYTES);
    check_rc(ferry_typed_writer_init(&w, NULL, 0), "measuring writer");
    write_body(&w, 0, FERRY_PORT_NULL, scratch);
    free(scratch);
    return ferry_typed_size(&w);
}

/* Reads the kind and sender of a received message and counts whether it
 * was converted, which must be exactly when its sender forced a swap. */
static enum kind read_head(ferry_typed_reader_t *r, const void *buf, size_t len, int *src, int from)
{
    uint8_t head[2];
    int32_t s;
    check_rc(ferry_typed_reader_init(r, buf, len), "ferry_typed_reader_init");
    check_rc(ferry_typed_get_u8(r, head, 2), "get kind");
    check_rc(ferry_typed_get_i32(r, &s, 1), "get rank");
    if (s < 0 || s >= size || (from >= 0 && s != from))
        die("message claims to come from rank %d, status says %d", (int)s, from);
    if (ferry_typed_swapped(r) != (head[1] != 0))
        die("message from rank %d: sender %s a swap but the reader says swapped=%d", (int)s,
            head[1] ? "forced" : "did not force", ferry_typed_swapped(r));
    messages_seen++;
    swapped_seen += head[1] != 0;
    *src = s;
    return (enum kind)head[0];
}

static void expect_item(ferry_typed_reader_t *r, int t, size_t n, const char *what)
{
    enum ferry_type got;
    size_t cnt;
    check_rc(ferry_typed_peek(r, &got, &cnt), what);
    if ((int)got != t || cnt != n)
        die("%s: item of type %d x %zu, expected type %d x %zu", what, (int)got, cnt, t, n);
}

static void send_reply(ferry_port_t to, int via, uint64_t token)
{
    unsigned char buf[128];
    const uint8_t head[2] = {KIND_REPLY, forced};
    const int32_t me = rank, v = via;
    ferry_typed_writer_t w;
    check_rc(ferry_typed_writer_init(&w, buf, sizeof buf), "reply writer");
    check_rc(ferry_typed_put_u8(&w, head, 2), "put kind");
    check_rc(ferry_typed_put_i32(&w, &me, 1), "put rank");
    check_rc(ferry_typed_put_i32(&w, &v, 1), "put via");
    check_rc(ferry_typed_put_u64(&w, &token, 1), "put token");
    check_rc(ferry_send(to, buf, ferry_typed_size(&w)), "ferry_send (reply)");
}

static uint64_t token(int replier, int via, int owner)
{
    return 0x7E57000000000000ULL ^ ((uint64_t)replier << 32) ^ ((uint64_t)(via + 1) << 16) ^
           (uint64_t)owner;
}

/* Checks every item of a body from src and returns its reply port. */
static ferry_port_t check_body(ferry_typed_reader_t *r, int src, void *want, void *got)
{
    ferry_port_t names[3];
    int64_t i64[3];
    uint32_t u32[3];
    double f64[3], e64[3];
    char what[64];

    expect_item(r, FERRY_TYPE_PORT, 3, "port names");
    check_rc(ferry_typed_get_port(r, names, 3), "get ports");
    if (names[0].rank != (uint32_t)src || !ferry_port_equal(names[1], ferry_port_of_rank(src)) ||
        names[2].rank != UINT32_MAX)
        die("body from rank %d: port names %u/%u/%u, %u/%u/%u, %u/%u/%u", src, names[0].rank,
            names[0].index, names[0].gen, names[1].rank, names[1].index, names[1].gen,
            names[2].rank, names[2].index, names[2].gen);
    check_rc(ferry_typed_get_i64(r, i64, 3), "get int64 edges");
    check_rc(ferry_typed_get_u32(r, u32, 3), "get uint32 edges");
    check_rc(ferry_typed_get_f64(r, f64, 3), "get float64 edges");
    edge_f64(e64);
    if (memcmp(i64, edge_i64, sizeof i64) || memcmp(u32, edge_u32, sizeof u32) ||
        memcmp(f64, e64, sizeof f64))
        die("body from rank %d: edge values differ", src);

    for (int t = 1; t <= NTYPES; t++)
        for (int k = 0; k < 3; k++) {
            size_t n = count_of(t, k), bytes = n * elem_size[t];
            snprintf(what, sizeof what, "body from rank %d, type %d x %zu", src, t, n);
            expect_item(r, t, n, what);
            generate(want, src, rank, t, k);
            const void *data = got;
            /* In place where no conversion is needed (the buffer is
             * malloc'ed, so aligned); by copy otherwise. */
            int rc = ferry_typed_get_ref(r, (enum ferry_type)t, &data, NULL);
            int in_place = elem_size[t] == 1 || !ferry_typed_swapped(r);
            if (in_place && rc != FERRY_OK) die("%s: get_ref: %s", what, ferry_strerror(rc));
            if (!in_place) {
                if (rc != FERRY_ERR_INVALID) die("%s: get_ref on a swapped body: %d", what, rc);
                memset(got, 0, bytes);
                check_rc(ferry_typed_get(r, (enum ferry_type)t, got, n), what);
            }
            for (size_t i = 0; i < bytes; i++)
                if (((const unsigned char *)data)[i] != ((unsigned char *)want)[i])
                    die("%s: wrong at byte %zu of %zu", what, i, bytes);
        }
    if (ferry_typed_peek(r, NULL, NULL) != FERRY_ERR_NOT_FOUND)
        die("body from rank %d: items after the last", src);
    return names[0];
}

int main(int argc, char **argv)
{
    check_rc(ferry_init(&argc, &argv), "ferry_init");
    rank = ferry_rank();
    size = ferry_size();
    if (argc == 3 && strcmp(argv[1], "--native") == 0) {
        if (atoi(argv[2]) == rank) unsetenv("FERRY_TYPED_FORCE_SWAP");
    } else if (argc != 1) {
        die("usage: typed [--native RANK]");
    }
    const char *env = getenv("FERRY_TYPED_FORCE_SWAP");
    forced = env && strcmp(env, "1") == 0;

    ferry_port_t mine;
    check_rc(ferry_port_alloc(&mine, 0), "ferry_port_alloc");
    size_t len = body_size();
    unsigned char **out = xmalloc(sizeof(unsigned char *) * (size_t)size);
    ferry_request_t *reqs = xmalloc(sizeof(ferry_request_t) * (size_t)size);
    void *scratch = xmalloc(BIG_BYTES), *want = xmalloc(BIG_BYTES), *got = xmalloc(BIG_BYTES);
    for (int dst = 0; dst < size; dst++) {
        ferry_typed_writer_t w;
        out[dst] = xmalloc(len);
        check_rc(ferry_typed_writer_init(&w, out[dst], len), "ferry_typed_writer_init");
        write_body(&w, dst, mine, scratch);
        if (ferry_typed_size(&w) != len)
            die("body of %zu bytes, measured %zu", ferry_typed_size(&w), len);
        check_rc(ferry_isend(ferry_port_of_rank(dst), out[dst], len, &reqs[dst]), "ferry_isend");
    }

    /* Bodies and one hand-off arrive on the well-known port, in any order. */
    ferry_port_t *names = xmalloc(sizeof(ferry_port_t) * (size_t)size);
    int *have = calloc((size_t)size, sizeof(int)), bodies = 0, handoffs = 0;
    unsigned char *buf = xmalloc(len);
    while (bodies < size || handoffs < 1) {
        ferry_status_t st;
        ferry_typed_reader_t r;
        int src;
        check_rc(ferry_recv(ferry_port_of_rank(rank), buf, len, &st, RECV_TIMEOUT_MS),
                 "ferry_recv");
        enum kind k = read_head(&r, buf, st.size, &src, st.source);
        if (k == KIND_BODY) {
            if (have[src]++) die("two bodies from rank %d", src);
            if (st.size != len)
                die("body of %zu bytes from rank %d, expected %zu", st.size, src, len);
            names[src] = check_body(&r, src, want, got);
            send_reply(names[src], -1, token(rank, -1, src));
            if (++bodies == size) {
                /* Hand the next rank the port of the rank after it. */
                int next = (rank + 1) % size, owner = (rank + 2) % size;
                unsigned char hb[128];
                const uint8_t head[2] = {KIND_HANDOFF, forced};
                const int32_t me = rank, o = owner;
                ferry_typed_writer_t w;
                check_rc(ferry_typed_writer_init(&w, hb, sizeof hb), "hand-off writer");
                check_rc(ferry_typed_put_u8(&w, head, 2), "put kind");
                check_rc(ferry_typed_put_i32(&w, &me, 1), "put rank");
                check_rc(ferry_typed_put_i32(&w, &o, 1), "put owner");
                check_rc(ferry_typed_put_port(&w, &names[owner], 1), "put port");
                check_rc(ferry_send(ferry_port_of_rank(next), hb, ferry_typed_size(&w)),
                         "ferry_send (hand-off)");
            }
        } else if (k == KIND_HANDOFF) {
            int32_t owner;
            ferry_port_t to;
            if (handoffs++) die("two hand-offs");
            if (src != (rank + size - 1) % size) die("hand-off from rank %d", src);
            check_rc(ferry_typed_get_i32(&r, &owner, 1), "get owner");
            check_rc(ferry_typed_get_port(&r, &to, 1), "get port");
            if (owner != (rank + 1) % size || to.rank != (uint32_t)owner)
                die("hand-off names port %u/%u/%u of rank %d", to.rank, to.index, to.gen,
                    (int)owner);
            send_reply(to, src, token(rank, src, owner));
        } else {
            die("message of kind %d on the well-known port", (int)k);
        }
    }
    for (int dst = 0; dst < size; dst++) {
        ferry_status_t st;
        check_rc(ferry_wait(&reqs[dst], &st), "ferry_wait");
        free(out[dst]);
    }

    /* One reply from every rank, and one from the rank before through the
     * rank before that. */
    int *replied = calloc((size_t)size, sizeof(int)), via_seen = 0;
    for (int i = 0; i < size + 1; i++) {
        ferry_status_t st;
        ferry_typed_reader_t r;
        int src;
        int32_t via;
        uint64_t tok;
        check_rc(ferry_recv(mine, buf, len, &st, RECV_TIMEOUT_MS), "ferry_recv (reply)");
        if (read_head(&r, buf, st.size, &src, st.source) != KIND_REPLY)
            die("not a reply on my port");
        check_rc(ferry_typed_get_i32(&r, &via, 1), "get via");
        check_rc(ferry_typed_get_u64(&r, &tok, 1), "get token");
        if (tok != token(src, via, rank))
            die("reply from rank %d via %d: token %llx", src, (int)via, (unsigned long long)tok);
        if (via < 0) {
            if (replied[src]++) die("two replies from rank %d", src);
        } else {
            if (via_seen++ || src != (rank + size - 1) % size || via != (rank + size - 2) % size)
                die("reply from rank %d via rank %d", src, (int)via);
        }
    }
    check_rc(ferry_port_destroy(mine), "ferry_port_destroy");
    printf("typed: rank %d of %d: %d bodies, %d replies verified; %u of %u messages swapped\n",
           rank, size, bodies, size + 1, swapped_seen, messages_seen);
    free(buf);
    free(names);
    free(have);
    free(replied);
    free(out);
    free(reqs);
    free(scratch);
    free(want);
    free(got);
    check_rc(ferry_finalize(), "ferry_finalize");
    return 0;
}
