/* Mach port semantics across real ranks: queue limits and the four send
 * modes, limit 0, status, port sets, port names in messages, RPC, and dead
 * ports. Usage: ports limits|held|late|sync|sets|names|rpc|dead|exit (ranks: see each). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TEST_NAME "ports"
#include "check.h"
#include "ferry.h"

static ferry_port_t wk(int r)
{
    return ferry_port_of_rank(r);
}

/* Hand a port name to a rank through its well-known port. */
static void give_port(int to, ferry_port_t p)
{
    ferry_message_t m = {.dest = wk(to), .reply = FERRY_PORT_NULL, .ports = &p, .nports = 1};
    int rc = ferry_msg_send(&m, FERRY_SEND_BLOCK, 0, FERRY_PORT_NULL);
    CHECK(rc == FERRY_OK, "give_port: %s", ferry_strerror(rc));
}

static ferry_port_t take_port(void)
{
    ferry_port_t p = FERRY_PORT_NULL;
    ferry_message_t m = {.ports = &p, .nports = 1};
    int rc = ferry_msg_recv(wk(ferry_rank()), &m, 10000);
    CHECK(rc == FERRY_OK && m.nports == 1, "take_port: %s, %zu names", ferry_strerror(rc),
          m.nports);
    return p;
}

static void signal_rank(int to, int value)
{
    int rc = ferry_send(wk(to), &value, sizeof value);
    CHECK(rc == FERRY_OK, "signal: %s", ferry_strerror(rc));
}

static int wait_signal(void)
{
    int v = -1;
    ferry_status_t st;
    int rc = ferry_recv(wk(ferry_rank()), &v, sizeof v, &st, 10000);
    CHECK(rc == FERRY_OK, "wait_signal: %s", ferry_strerror(rc));
    return v;
}

static int msend(ferry_port_t dest, int value, enum ferry_send_mode mode, int timeout,
                 ferry_port_t notify)
{
    ferry_message_t m = {
        .dest = dest, .reply = FERRY_PORT_NULL, .body = &value, .len = sizeof value};
    return ferry_msg_send(&m, mode, timeout, notify);
}

/* 2 ranks. Rank 1 holds a port with limit 4 and does not receive until told. */
static void test_limits(void)
{
    if (ferry_rank() == 1) {
        ferry_port_t p;
        CHECK(ferry_port_alloc(&p, 4) == FERRY_OK, "alloc");
        give_port(0, p);
        CHECK(wait_signal() == 1, "signal");
        ferry_port_status_t st;
        CHECK(ferry_port_status(p, &st) == FERRY_OK, "status");
        /* Four within the limit, one beyond it by notify. */
        CHECK(st.queued == 5 && st.qlimit == 4 && st.seqno == 0 && !st.in_set,
              "status: queued %zu limit %u seqno %llu", st.queued, st.qlimit,
              (unsigned long long)st.seqno);
        int expect[] = {0, 1, 2, 3, 100};
        for (int i = 0; i < 5; i++) {
            int v;
            ferry_status_t s;
            int rc = ferry_recv(p, &v, sizeof v, &s, 5000);
            CHECK(rc == FERRY_OK && v == expect[i] && s.seq == (uint64_t)i,
                  "message %d: rc %d value %d seq %llu", i, rc, v, (unsigned long long)s.seq);
        }
        /* The refused and timed-out sends never arrive; then a blocked
         * sender streams 200 messages through the limit of 4. */
        for (int i = 0; i < 200; i++) {
            int v = -1;
            ferry_status_t s;
            int rc = ferry_recv(p, &v, sizeof v, &s, 10000);
            CHECK(rc == FERRY_OK && v == 1000 + i, "stream %d: rc %d value %d", i, rc, v);
            if (i % 50 == 0) usleep(20000); /* let the sender hit the limit */
        }
        CHECK(ferry_port_status(p, &st) == FERRY_OK && st.queued == 0 && st.seqno == 205,
              "after: queued %zu seqno %llu", st.queued, (unsigned long long)st.seqno);
        signal_rank(0, 2);
    } else if (ferry_rank() == 0) {
        ferry_port_t p = take_port(), note;
        CHECK(ferry_port_alloc(&note, 0) == FERRY_OK, "alloc note");
        for (int i = 0; i < 4; i++)
            CHECK(msend(p, i, FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL) == FERRY_OK, "nowait %d", i);
        int rc = msend(p, 50, FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL);
        CHECK(rc == FERRY_ERR_WOULDBLOCK, "full nowait: %s", ferry_strerror(rc));
        double t0 = now();
        rc = msend(p, 51, FERRY_SEND_TIMEOUT, 200, FERRY_PORT_NULL);
        double dt = now() - t0;
        CHECK(rc == FERRY_ERR_TIMEOUT && dt > 0.18 && dt < 2, "timeout: %s after %.3f s",
              ferry_strerror(rc), dt);
        rc = msend(p, 100, FERRY_SEND_NOTIFY, 0, note);
        CHECK(rc == FERRY_OK, "notify: %s", ferry_strerror(rc));
        rc = msend(p, 52, FERRY_SEND_NOTIFY, 0, note);
        CHECK(rc == FERRY_ERR_NOTIFY_PENDING, "second notify: %s", ferry_strerror(rc));
        signal_rank(1, 1);
        /* When rank 1 takes the notify-mode message, the notice comes. */
        ferry_port_t about = FERRY_PORT_NULL;
        ferry_message_t n = {.body = &about, .len = sizeof about};
        rc = ferry_msg_recv(note, &n, 10000);
        CHECK(rc == FERRY_OK && n.id == FERRY_NOTIFY_SEND_POSSIBLE && ferry_port_equal(about, p),
              "notification: %s id %llx", ferry_strerror(rc), (unsigned long long)n.id);
        for (int i = 0; i < 200; i++)
            CHECK(msend(p, 1000 + i, FERRY_SEND_BLOCK, 0, FERRY_PORT_NULL) == FERRY_OK, "block %d",
                  i);
        CHECK(wait_signal() == 2, "end signal");
    }
}

/* 3 ranks. Room that one sender holds as credits it no longer uses is not
 * lost to the others: a NOWAIT send to the emptied port gets through once
 * the holder has been asked to hand it back (it may fail meanwhile). */
static void test_held(void)
{
    if (ferry_rank() == 2) {
        ferry_port_t p;
        CHECK(ferry_port_alloc(&p, 2) == FERRY_OK, "alloc");
        give_port(0, p);
        give_port(1, p);
        CHECK(wait_signal() == 1, "signal from 0");
        for (int i = 0; i < 2; i++) {
            int v = -1;
            CHECK(ferry_recv(p, &v, sizeof v, NULL, 10000) == FERRY_OK && v == i, "first %d: %d", i,
                  v);
        }
        signal_rank(1, 2);
        int v = -1;
        CHECK(ferry_recv(p, &v, sizeof v, NULL, 10000) == FERRY_OK && v == 7, "from 1: %d", v);
        signal_rank(0, 3);
    } else if (ferry_rank() == 0) {
        ferry_port_t p = take_port();
        for (int i = 0; i < 2; i++)
            CHECK(msend(p, i, FERRY_SEND_BLOCK, 0, FERRY_PORT_NULL) == FERRY_OK, "block %d", i);
        signal_rank(2, 1);
        CHECK(wait_signal() == 3, "end signal");
    } else if (ferry_rank() == 1) {
        ferry_port_t p = take_port();
        CHECK(wait_signal() == 2, "signal from 2");
        int rc, tries = 0;
        while ((rc = msend(p, 7, FERRY_SEND_NOWAIT, 0, FERRY_PORT_NULL)) == FERRY_ERR_WOULDBLOCK &&
               ++tries < 2000)
            usleep(1000);
        CHECK(rc == FERRY_OK, "nowait to an empty port after %d tries: %s", tries,
              ferry_strerror(rc));
    }
}

/* 2 ranks. A large message its receiver takes only seconds later (after a
 * first one, so the sender holds credits and its RTS waits for the pull):
 * the sender waits without error and the bytes arrive whole. */
static void test_late(void)
{
    static unsigned char big[1 << 20];
    for (int round = 0; round < 2; round++) {
        if (ferry_rank() == 0) {
            for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7 + round);
            int rc = ferry_send(wk(1), big, sizeof big);
            CHECK(rc == FERRY_OK, "send %d: %s", round, ferry_strerror(rc));
        } else if (ferry_rank() == 1) {
            if (round) sleep(3);
            ferry_status_t st;
            int rc = ferry_recv(wk(1), big, sizeof big, &st, 10000);
            CHECK(rc == FERRY_OK && st.size == sizeof big, "recv %d: %s", round,
                  ferry_strerror(rc));
            size_t bad = 0;
            for (size_t i = 0; i < sizeof big; i++) bad += big[i] != (unsigned char)(i * 7 + round);
            CHECK(bad == 0, "recv %d: %zu bytes wrong", round, bad);
        }
    }
}

/* 2 ranks. Limit 0: a send completes only when a receive takes it. */
static void test_sync(void)
{
    if (ferry_rank() == 1) {
        ferry_port_t p;
        CHECK(ferry_port_alloc(&p, 1) == FERRY_OK, "alloc");
        CHECK(ferry_port_set_qlimit(p, 0) == FERRY_OK, "set_qlimit");
        give_port(0, p);
        CHECK(wait_signal() == 1, "signal");
        /* The timed-out send was withdrawn: nothing to receive. */
        int v = -1;
        ferry_status_t st;
        int rc = ferry_recv(p, &v, sizeof v, &st, 200);
        CHECK(rc == FERRY_ERR_TIMEOUT, "withdrawn send arrived: %s value %d", ferry_strerror(rc),
              v);
        signal_rank(0, 2);
        usleep(300000);
        rc = ferry_recv(p, &v, sizeof v, &st, 5000);
        CHECK(rc == FERRY_OK && v == 7, "sync receive: %s value %d", ferry_strerror(rc), v);
        ferry_port_status_t ps;
        CHECK(ferry_port_status(p, &ps) == FERRY_OK && ps.qlimit == 0, "status limit");
    } else if (ferry_rank() == 0) {
        ferry_port_t p = take_port();
        double t0 = now();
        int rc = msend(p, 6, FERRY_SEND_TIMEOUT, 200, FERRY_PORT_NULL);
        CHECK(rc == FERRY_ERR_TIMEOUT && now() - t0 > 0.18, "sync timeout: %s", ferry_strerror(rc));
        signal_rank(1, 1);
        CHECK(wait_signal() == 2, "signal 2");
        t0 = now();
        rc = msend(p, 7, FERRY_SEND_BLOCK, 0, FERRY_PORT_NULL);
        double dt = now() - t0;
        CHECK(rc == FERRY_OK && dt > 0.25, "sync send returned after %.3f s: %s", dt,
              ferry_strerror(rc));
    }
}

/* 4 ranks. Rank 0 puts three ports in a set; ranks 1-3 fill one each. */
static void test_sets(void)
{
    enum { PER = 12 };
    if (ferry_rank() == 0) {
        ferry_port_t set, p[3];
        CHECK(ferry_portset_alloc(&set) == FERRY_OK, "set alloc");
        for (int i = 0; i < 3; i++) {
            CHECK(ferry_port_alloc(&p[i], 64) == FERRY_OK, "alloc");
            CHECK(ferry_portset_add(set, p[i]) == FERRY_OK, "add");
            give_port(i + 1, p[i]);
        }
        CHECK(ferry_portset_add(set, p[0]) == FERRY_ERR_BUSY, "a port is in one set only");
        for (int i = 0; i < 3; i++) CHECK(wait_signal() == 1, "filled");
        ferry_port_status_t st;
        for (int i = 0; i < 3; i++)
            CHECK(ferry_port_status(p[i], &st) == FERRY_OK && st.queued == PER && st.in_set &&
                      ferry_port_equal(st.set, set),
                  "member %d status: queued %zu", i, st.queued);
        /* Members take turns: no member starves the others. */
        int count[3] = {0};
        int next[3] = {0};
        for (int k = 0; k < 3 * PER; k++) {
            int v;
            ferry_status_t s;
            int rc = ferry_recv(set, &v, sizeof v, &s, 5000);
            int m = -1;
            for (int i = 0; i < 3; i++)
                if (ferry_port_equal(s.port, p[i])) m = i;
            CHECK(rc == FERRY_OK && m >= 0 && s.source == m + 1 && v == next[m],
                  "set receive %d: rc %d member %d source %d value %d", k, rc, m, s.source, v);
            if (m < 0) break;
            next[m]++;
            count[m]++;
            int lo = count[0] < count[1] ? count[0] : count[1];
            lo = lo < count[2] ? lo : count[2];
            CHECK(count[m] - lo <= 1, "member %d served %d times, another only %d", m, count[m],
                  lo);
        }
        /* A receive waiting on the set wakes for a later message. */
        signal_rank(2, 2);
        int v;
        ferry_status_t s;
        int rc = ferry_recv(set, &v, sizeof v, &s, 5000);
        CHECK(rc == FERRY_OK && v == 999 && ferry_port_equal(s.port, p[1]), "late: %s",
              ferry_strerror(rc));
        CHECK(ferry_portset_remove(set, p[1]) == FERRY_OK, "remove");
        CHECK(ferry_port_status(p[1], &st) == FERRY_OK && !st.in_set, "removed");
        CHECK(ferry_port_destroy(set) == FERRY_OK, "destroy set");
    } else if (ferry_rank() <= 3) {
        ferry_port_t p = take_port();
        for (int i = 0; i < PER; i++) CHECK(ferry_send(p, &i, sizeof i) == FERRY_OK, "send");
        signal_rank(0, 1);
        if (ferry_rank() == 2) {
            CHECK(wait_signal() == 2, "signal");
            usleep(100000);
            int v = 999;
            CHECK(ferry_send(p, &v, sizeof v) == FERRY_OK, "late send");
        }
    }
}

/* 3 ranks. Rank 1 hands rank 2 the right to send to rank 0's port. */
static void test_names(void)
{
    if (ferry_rank() == 0) {
        ferry_port_t p;
        CHECK(ferry_port_alloc(&p, 0) == FERRY_OK, "alloc");
        give_port(1, p);
        char buf[32];
        ferry_status_t st;
        int rc = ferry_recv(p, buf, sizeof buf, &st, 10000);
        CHECK(rc == FERRY_OK && st.source == 2 && strcmp(buf, "via a name") == 0,
              "third-party send: %s from %d", ferry_strerror(rc), st.source);
        /* A message with more names than room: truncated, kept, re-read. */
        ferry_port_t names[2];
        ferry_message_t m = {.body = buf, .len = sizeof buf, .ports = names, .nports = 1};
        rc = ferry_msg_recv(p, &m, 10000);
        CHECK(rc == FERRY_ERR_TRUNCATE && m.nports == 2, "names truncation: %s %zu",
              ferry_strerror(rc), m.nports);
        m = (ferry_message_t){.body = buf, .len = sizeof buf, .ports = names, .nports = 2};
        rc = ferry_msg_recv(p, &m, 10000);
        CHECK(rc == FERRY_OK && m.nports == 2 && ferry_port_equal(names[0], wk(1)) &&
                  ferry_port_equal(names[1], wk(2)) && ferry_port_equal(m.reply, wk(2)) &&
                  m.id == 42,
              "names: %s", ferry_strerror(rc));
    } else if (ferry_rank() == 1) {
        give_port(2, take_port());
    } else if (ferry_rank() == 2) {
        ferry_port_t p = take_port();
        CHECK(ferry_send(p, "via a name", 11) == FERRY_OK, "send via name");
        ferry_port_t names[2] = {wk(1), wk(2)};
        ferry_message_t m = {.dest = p,
                             .reply = wk(2),
                             .id = 42,
                             .body = "x",
                             .len = 2,
                             .ports = names,
                             .nports = 2};
        CHECK(ferry_msg_send(&m, FERRY_SEND_BLOCK, 0, FERRY_PORT_NULL) == FERRY_OK, "msg send");
    }
}

struct server_state {
    int served;
};

/* Echo the request reversed; a request "slow" is answered after 300 ms
 * (its client gave up by then); "stop" ends the server. */
static int handler(const ferry_message_t *req, ferry_message_t *rep, void *arg)
{
    static char out[8192];
    struct server_state *s = arg;
    s->served++;
    const char *in = req->body;
    if (req->len == 5 && memcmp(in, "slow", 5) == 0) usleep(300000);
    for (size_t i = 0; i < req->len; i++) out[i] = in[req->len - 1 - i];
    rep->body = out;
    rep->len = req->len;
    rep->id = req->id + 1;
    return req->len == 5 && memcmp(in, "stop", 5) == 0 ? FERRY_SERVE_STOP : 0;
}

/* 3 ranks: rank 0 serves, ranks 1 and 2 call. */
static void test_rpc(void)
{
    if (ferry_rank() == 0) {
        ferry_port_t svc;
        CHECK(ferry_port_alloc(&svc, 0) == FERRY_OK, "alloc");
        give_port(1, svc);
        give_port(2, svc);
        struct server_state s = {0};
        double t0 = now();
        int rc = ferry_serve(svc, handler, &s);
        CHECK(rc == FERRY_OK, "serve: %s", ferry_strerror(rc));
        /* The reply to the client that gave up did not hold the server. */
        CHECK(now() - t0 < 5, "serve took %.3f s", now() - t0);
        CHECK(s.served == 2 * 101 + 2, "served %d", s.served);
    } else if (ferry_rank() <= 2) {
        ferry_port_t svc = take_port();
        static char req[4096], rep[4096];
        for (int i = 0; i < 101; i++) {
            size_t n = i == 100 ? sizeof req : (size_t)i;
            for (size_t k = 0; k < n; k++) req[k] = (char)(k * 7 + (size_t)ferry_rank());
            ferry_message_t q = {.body = req, .len = n, .id = (uint64_t)i};
            ferry_message_t a = {.body = rep, .len = sizeof rep};
            int rc = ferry_rpc(svc, &q, &a, 10000);
            int ok = rc == FERRY_OK && a.len == n && a.id == (uint64_t)i + 1;
            for (size_t k = 0; ok && k < n; k++) ok = rep[k] == req[n - 1 - k];
            CHECK(ok, "rpc %d: %s len %zu", i, ferry_strerror(rc), a.len);
        }
        if (ferry_rank() == 1) {
            ferry_message_t q = {.body = "slow", .len = 5};
            ferry_message_t a = {.body = rep, .len = sizeof rep};
            double t0 = now();
            int rc = ferry_rpc(svc, &q, &a, 100);
            CHECK(rc == FERRY_ERR_TIMEOUT && now() - t0 < 1, "slow rpc: %s", ferry_strerror(rc));
            signal_rank(2, 1);
        } else {
            CHECK(wait_signal() == 1, "signal");
            ferry_message_t q = {.body = "stop", .len = 5};
            ferry_message_t a = {.body = rep, .len = sizeof rep};
            int rc = ferry_rpc(svc, &q, &a, 10000);
            CHECK(rc == FERRY_OK && memcmp(rep, "\0pots", 5) == 0, "stop rpc: %s",
                  ferry_strerror(rc));
        }
    }
}

/* 3 ranks. Rank 1 destroys ports rank 0 and 2 send to. */
static void test_dead(void)
{
    if (ferry_rank() == 1) {
        ferry_port_t d, w;
        CHECK(ferry_port_alloc(&d, 8) == FERRY_OK && ferry_port_alloc(&w, 8) == FERRY_OK, "alloc");
        give_port(0, d);
        give_port(0, w);
        give_port(2, d);
        int v;
        ferry_status_t st;
        CHECK(ferry_recv(d, &v, sizeof v, &st, 5000) == FERRY_OK && v == 1, "first");
        /* A receive waiting on the port ends with DEAD_PORT. */
        ferry_request_t r;
        CHECK(ferry_irecv(d, &v, sizeof v, &r) == FERRY_OK, "irecv");
        CHECK(ferry_port_destroy(d) == FERRY_OK, "destroy");
        CHECK(ferry_wait(&r, &st) == FERRY_ERR_DEAD_PORT, "blocked receive on a dead port");
        CHECK(ferry_recv(d, &v, sizeof v, &st, 0) == FERRY_ERR_DEAD_PORT, "recv dead");
        /* The slot is reused with a new generation: the old name misses it. */
        ferry_port_t again;
        CHECK(ferry_port_alloc(&again, 8) == FERRY_OK && again.index == d.index &&
                  again.gen != d.gen,
              "slot reuse");
        signal_rank(0, 1);
        signal_rank(2, 1);
        CHECK(wait_signal() == 2, "signal");
        CHECK(wait_signal() == 2, "signal");
        CHECK(ferry_recv(again, &v, sizeof v, &st, 200) == FERRY_ERR_TIMEOUT,
              "a stale name reached the new port");
        CHECK(ferry_port_destroy(w) == FERRY_OK, "destroy watched");
    } else if (ferry_rank() == 0) {
        ferry_port_t d = take_port(), w = take_port(), note;
        CHECK(ferry_port_alloc(&note, 0) == FERRY_OK, "alloc note");
        CHECK(ferry_port_notify_dead(w, note) == FERRY_OK, "notify_dead");
        int v = 1;
        CHECK(ferry_send(d, &v, sizeof v) == FERRY_OK, "send");
        CHECK(wait_signal() == 1, "signal");
        int rc = ferry_send(d, &v, sizeof v);
        CHECK(rc == FERRY_ERR_DEAD_PORT, "send to dead port (credit holder): %s",
              ferry_strerror(rc));
        static char big[1 << 20];
        rc = ferry_send(d, big, sizeof big);
        CHECK(rc == FERRY_ERR_DEAD_PORT, "large send to dead port: %s", ferry_strerror(rc));
        signal_rank(1, 2);
        ferry_port_t about = FERRY_PORT_NULL;
        ferry_message_t n = {.body = &about, .len = sizeof about};
        rc = ferry_msg_recv(note, &n, 10000);
        CHECK(rc == FERRY_OK && n.id == FERRY_NOTIFY_DEAD_NAME && ferry_port_equal(about, w),
              "dead-name notification: %s", ferry_strerror(rc));
        /* Asking about a port that is dead already answers at once. */
        CHECK(ferry_port_notify_dead(d, note) == FERRY_OK, "notify_dead on dead");
        rc = ferry_msg_recv(note, &n, 10000);
        CHECK(rc == FERRY_OK && n.id == FERRY_NOTIFY_DEAD_NAME && ferry_port_equal(about, d),
              "immediate dead-name notification: %s", ferry_strerror(rc));
    } else if (ferry_rank() == 2) {
        ferry_port_t d = take_port();
        CHECK(wait_signal() == 1, "signal");
        int v = 3;
        int rc = ferry_send(d, &v, sizeof v);
        CHECK(rc == FERRY_ERR_DEAD_PORT, "send to dead port (new sender): %s", ferry_strerror(rc));
        signal_rank(1, 2);
    }
}

/* 3 ranks under ferryrun --no-abort-on-exit: rank 2 exits (code 3) without
 * finalizing; the others see its ports dead instead of hanging. */
static void test_exit(void)
{
    static char big[1 << 20];
    if (ferry_rank() == 2) {
        ferry_port_t q;
        CHECK(ferry_port_alloc(&q, 8) == FERRY_OK, "alloc");
        give_port(0, q);
        give_port(1, q);
        wait_signal();
        wait_signal();
        fflush(stdout);
        _exit(3);
    } else if (ferry_rank() == 0) {
        ferry_port_t q = take_port(), note;
        CHECK(ferry_port_alloc(&note, 0) == FERRY_OK, "alloc note");
        CHECK(ferry_port_notify_dead(q, note) == FERRY_OK, "notify_dead");
        signal_rank(2, 1);
        ferry_port_t about = FERRY_PORT_NULL;
        ferry_message_t n = {.body = &about, .len = sizeof about};
        int rc = ferry_msg_recv(note, &n, 10000);
        CHECK(rc == FERRY_OK && n.id == FERRY_NOTIFY_DEAD_NAME && ferry_port_equal(about, q),
              "dead-name notification for an exited rank's port: %s", ferry_strerror(rc));
        rc = ferry_send(q, big, 8);
        CHECK(rc == FERRY_ERR_DEAD_PORT, "send to an exited rank's port: %s", ferry_strerror(rc));
        rc = ferry_send(wk(2), big, 8);
        CHECK(rc == FERRY_ERR_DEAD_PORT, "send to an exited rank: %s", ferry_strerror(rc));
    } else if (ferry_rank() == 1) {
        ferry_port_t q = take_port();
        ferry_request_t r;
        /* A large send nobody will ever take. */
        CHECK(ferry_isend(q, big, sizeof big, &r) == FERRY_OK, "isend");
        signal_rank(2, 1);
        double t0 = now();
        int rc = ferry_wait(&r, NULL);
        CHECK(rc == FERRY_ERR_DEAD_PORT && now() - t0 < 5, "pending send: %s", ferry_strerror(rc));
    }
}

int main(int argc, char **argv)
{
    int rc = ferry_init(&argc, &argv);
    if (rc) {
        fprintf(stderr, "ports: ferry_init: %s\n", ferry_strerror(rc));
        return 1;
    }
    const char *what = argc > 1 ? argv[1] : "";
    static const struct {
        const char *name;
        void (*fn)(void);
        int ranks;
    } tests[] = {{"limits", test_limits, 2}, {"sync", test_sync, 2}, {"sets", test_sets, 4},
                 {"names", test_names, 3},   {"rpc", test_rpc, 3},   {"dead", test_dead, 3},
                 {"exit", test_exit, 3},     {"held", test_held, 3}, {"late", test_late, 2}};
    int found = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (strcmp(what, tests[i].name) != 0) continue;
        found = 1;
        if (ferry_size() < tests[i].ranks) {
            fprintf(stderr, "ports %s needs %d ranks\n", what, tests[i].ranks);
            return 2;
        }
        tests[i].fn();
    }
    if (!found) {
        fprintf(stderr, "usage: ports limits|held|late|sync|sets|names|rpc|dead|exit\n");
        return 2;
    }
    int me = ferry_rank();
    rc = ferry_finalize();
    if (!failures && !rc) printf("ports %s: rank %d ok\n", what, me);
    return failures || rc ? 1 : 0;
}
