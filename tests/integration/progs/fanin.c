/* Many senders, one receiver: every rank but 0 sends COUNT messages to rank
 * 0's well-known port; rank 0 checks each sender's messages arrive in order,
 * whole and exactly once.
 *
 *   fanin [COUNT]   (default 100000 per sender)
 *
 * Sizes vary between 0 and 2 KiB, with one message in LARGE_EVERY between 64
 * and 256 KiB, so eager and rendezvous messages of one sender interleave.
 * A message of HDR_SIZE bytes or more starts with a header (sender, counter,
 * size, checksum of the rest); a shorter one is a pattern of (sender,
 * counter). Senders alternate between blocking sends and windows of
 * ferry_isend; rank 0 alternates between ferry_recv and a window of posted
 * ferry_irecv, and pauses now and then so the port's queue fills. Rank 0 prints per-sender and
 * total counts; any error exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <ferry.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_COUNT 100000L
#define SMALL_MAX     2048
#define LARGE_MIN     (64 << 10)
#define LARGE_SPAN    (192 << 10)
#define LARGE_EVERY   500
#define MAX_MSG       (LARGE_MIN + LARGE_SPAN)
/* Messages per run of one style (blocking or windowed), both sides. */
#define BATCH 1000
/* Outstanding isends per sender: 4 senders overrun a default queue limit. */
#define WINDOW 32
/* Rank 0 stops receiving this long every PAUSE_EVERY messages, so the
 * queue fills up and senders must wait for room. */
#define PAUSE_EVERY     20000
#define PAUSE_NS        20000000L
#define RECV_TIMEOUT_MS 60000

struct hdr {
    uint32_t src;
    uint32_t size;
    uint64_t counter;
    uint64_t checksum; /* of the bytes after the header */
};
#define HDR_SIZE sizeof(struct hdr)

static int rank, nranks;

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fanin: rank %d: ", rank);
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

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static size_t size_of(int src, long k)
{
    uint64_t h = mix64((uint64_t)src << 40 ^ (uint64_t)k);
    if (k % LARGE_EVERY == LARGE_EVERY - 1) return LARGE_MIN + h % LARGE_SPAN;
    return h % (SMALL_MAX + 1);
}

/* FNV-1a, over 8-byte words where possible to keep rank 0 fast. */
static uint64_t checksum(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
    }
    for (; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static void fill(unsigned char *p, int src, long k, size_t size)
{
    uint64_t x = mix64((uint64_t)src << 48 ^ (uint64_t)k ^ 0x5eed);
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t w = x ^ i * 0x9e3779b97f4a7c15ull;
        memcpy(p + i, &w, 8);
    }
    uint64_t w = x ^ i * 0x9e3779b97f4a7c15ull;
    memcpy(p + i, &w, size - i);
    if (size >= HDR_SIZE) {
        struct hdr h = {(uint32_t)src, (uint32_t)size, (uint64_t)k,
                        checksum(p + HDR_SIZE, size - HDR_SIZE)};
        memcpy(p, &h, HDR_SIZE);
    }
}

static void send_all(long count)
{
    ferry_port_t dest = ferry_port_of_rank(0);
    unsigned char *buf = malloc((size_t)WINDOW * MAX_MSG);
    ferry_request_t req[WINDOW];
    ferry_status_t st;

    if (!buf) die("out of memory");
    for (long k = 0; k < count;) {
        long end = k + BATCH < count ? k + BATCH : count;
        if ((k / BATCH) % 2 == 0) {
            for (; k < end; k++) {
                size_t size = size_of(rank, k);
                fill(buf, rank, k, size);
                check_rc(ferry_send(dest, buf, size), "ferry_send");
            }
        } else {
            while (k < end) {
                int n = 0;
                for (; n < WINDOW && k < end; n++, k++) {
                    unsigned char *p = buf + (size_t)n * MAX_MSG;
                    size_t size = size_of(rank, k);
                    fill(p, rank, k, size);
                    check_rc(ferry_isend(dest, p, size, &req[n]), "ferry_isend");
                }
                for (int i = 0; i < n; i++) check_rc(ferry_wait(&req[i], &st), "ferry_wait (send)");
            }
        }
    }
    free(buf);
    /* Stay until rank 0 has everything, so it never receives from a rank
     * that has finalized. */
    check_rc(ferry_recv(ferry_port_of_rank(rank), NULL, 0, &st, FERRY_FOREVER),
             "ferry_recv (done)");
    if (st.source != 0) die("final message from rank %d, expected rank 0", st.source);
}

struct tally {
    long next; /* the counter expected next */
    unsigned long long bytes;
};

static long errors;

static void bad(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fanin: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    /* Report the first few problems, then give up: one loss shifts all that
     * follow. */
    if (++errors >= 10) exit(1);
}

static void check_msg(struct tally *t, const ferry_status_t *st, const unsigned char *p, long count)
{
    int s = st->source;
    if (s <= 0 || s >= nranks) {
        bad("message from rank %d", s);
        return;
    }
    struct tally *ts = &t[s];
    long k = ts->next++;
    if (k >= count) {
        bad("rank %d: message %ld (seq %llu) beyond the %ld sent", s, k,
            (unsigned long long)st->seq, count);
        return;
    }
    size_t size = size_of(s, k);
    if (st->seq != (uint64_t)k)
        bad("rank %d: message %ld has seq %llu", s, k, (unsigned long long)st->seq);
    if (st->size != size) {
        bad("rank %d: message %ld has %zu bytes, expected %zu", s, k, st->size, size);
        return;
    }
    if (size >= HDR_SIZE) {
        struct hdr h;
        memcpy(&h, p, HDR_SIZE);
        if (h.src != (uint32_t)s || h.counter != (uint64_t)k || h.size != size)
            bad("rank %d: message %ld carries sender %u, counter %llu, size %u", s, k, h.src,
                (unsigned long long)h.counter, h.size);
        else if (checksum(p + HDR_SIZE, size - HDR_SIZE) != h.checksum)
            bad("rank %d: message %ld (%zu bytes): checksum mismatch", s, k, size);
    } else {
        unsigned char want[HDR_SIZE];
        fill(want, s, k, size);
        if (memcmp(want, p, size)) bad("rank %d: message %ld (%zu bytes): wrong bytes", s, k, size);
    }
    ts->bytes += size;
}

static void recv_all(long count)
{
    ferry_port_t me = ferry_port_of_rank(0);
    long total = count * (nranks - 1), got = 0;
    struct tally *t = calloc(nranks, sizeof(*t));
    unsigned char *buf = malloc((size_t)WINDOW * MAX_MSG);
    ferry_request_t req[WINDOW];
    ferry_status_t st;

    if (!t || !buf) die("out of memory");
    while (got < total) {
        if (got && got % PAUSE_EVERY == 0) nanosleep(&(struct timespec){0, PAUSE_NS}, NULL);
        long end = got + BATCH < total ? got + BATCH : total;
        if ((got / BATCH) % 2 == 0) {
            for (; got < end; got++) {
                int rc = ferry_recv(me, buf, MAX_MSG, &st, RECV_TIMEOUT_MS);
                if (rc == FERRY_ERR_TIMEOUT)
                    die("nothing arrived for %d ms after %ld of %ld messages", RECV_TIMEOUT_MS, got,
                        total);
                check_rc(rc, "ferry_recv");
                check_msg(t, &st, buf, count);
            }
        } else {
            /* A window of posted receives, completed in posting order: they
             * match arrivals in that order, so per-sender order holds. */
            long posted = got;
            int head = 0;
            for (int i = 0; i < WINDOW && posted < end; i++, posted++)
                check_rc(ferry_irecv(me, buf + (size_t)i * MAX_MSG, MAX_MSG, &req[i]),
                         "ferry_irecv");
            for (; got < end; got++) {
                check_rc(ferry_wait(&req[head], &st), "ferry_wait (receive)");
                check_msg(t, &st, buf + (size_t)head * MAX_MSG, count);
                if (posted < end) {
                    check_rc(ferry_irecv(me, buf + (size_t)head * MAX_MSG, MAX_MSG, &req[head]),
                             "ferry_irecv");
                    posted++;
                }
                head = (head + 1) % WINDOW;
            }
        }
    }

    /* Nothing may follow: a duplicate would show up here. */
    int rc = ferry_recv(me, buf, MAX_MSG, &st, 200);
    if (rc != FERRY_ERR_TIMEOUT)
        bad("extra message after all %ld: %s, %zu bytes from rank %d (seq %llu)", total,
            ferry_strerror(rc), st.size, st.source, (unsigned long long)st.seq);

    unsigned long long bytes = 0;
    for (int s = 1; s < nranks; s++) {
        printf("fanin: rank %d: %ld messages, %llu bytes\n", s, t[s].next, t[s].bytes);
        if (t[s].next != count) bad("rank %d: %ld messages, expected %ld", s, t[s].next, count);
        bytes += t[s].bytes;
    }
    printf("fanin: total %ld messages from %d senders, %llu bytes, %ld errors\n", got, nranks - 1,
           bytes, errors);
    fflush(stdout);
    for (int s = 1; s < nranks; s++)
        check_rc(ferry_send(ferry_port_of_rank(s), NULL, 0), "ferry_send (done)");
    free(buf);
    free(t);
}

int main(int argc, char **argv)
{
    long count = DEFAULT_COUNT;
    char *end;

    check_rc(ferry_init(&argc, &argv), "ferry_init");
    rank = ferry_rank();
    nranks = ferry_size();
    if (argc > 2 || (argc == 2 && ((count = strtol(argv[1], &end, 10)) <= 0 || *end))) {
        fprintf(stderr, "usage: fanin [COUNT]\n");
        return 2;
    }
    if (nranks < 2) die("needs at least 2 ranks");

    if (rank == 0)
        recv_all(count);
    else
        send_all(count);
    check_rc(ferry_finalize(), "ferry_finalize");
    return rank == 0 && errors ? 1 : 0;
}
