/* The PMI-1 wire: parsing good and hostile lines, readers fed in pieces,
 * over-long lines, EOF and EINTR, whole-line writes to dead or full peers,
 * and the launcher's server answering every request (bad ones included). */
#include <CUnit/Basic.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher/kvs.h"
#include "launcher/pmi_server.h"
#include "runtime/wireup/pmi_wire.h"

static struct pmi_msg m;

static int parse(const char *s)
{
    return pmi_parse(s, strlen(s), &m);
}

/* "cmd=c k0=vvvv k1=vvvv ..." of exactly len bytes (before the newline). */
static char *long_line(size_t len)
{
    char *s = malloc(len + 2);
    size_t n = (size_t)snprintf(s, len + 1, "cmd=c");
    for (int k = 0; n < len; k++) {
        n += (size_t)snprintf(s + n, len + 1 - n, " k%d=", k);
        size_t v = len - n < 1000 ? len - n : 1000;
        memset(s + n, 'v', v);
        n += v;
        s[n] = '\0';
    }
    return s;
}

static void test_parse_good(void)
{
    CU_ASSERT_EQUAL_FATAL(parse("cmd=put kvsname=kvs_1_0 key=a value=b=c\n"), PMI_WIRE_OK);
    CU_ASSERT_STRING_EQUAL(m.cmd, "put");
    CU_ASSERT_EQUAL(m.nfields, 3);
    CU_ASSERT_STRING_EQUAL(pmi_get(&m, "kvsname"), "kvs_1_0");
    CU_ASSERT_STRING_EQUAL(pmi_get(&m, "value"), "b=c"); /* everything after the first '=' */
    CU_ASSERT_PTR_NULL(pmi_get(&m, "nope"));

    CU_ASSERT_EQUAL_FATAL(parse("mcmd=spawn nprocs=2"), PMI_WIRE_OK); /* no newline is fine */
    CU_ASSERT_STRING_EQUAL(m.cmd, "spawn");

    CU_ASSERT_EQUAL_FATAL(parse("   cmd=get   key=x    value=   \n"), PMI_WIRE_OK);
    CU_ASSERT_EQUAL(m.nfields, 2);
    CU_ASSERT_STRING_EQUAL(pmi_get(&m, "value"), ""); /* an empty value is a value */

    long v = 0;
    CU_ASSERT_EQUAL_FATAL(parse("cmd=x rc=-1 n=42 bad=4x empty="), PMI_WIRE_OK);
    CU_ASSERT_EQUAL(pmi_get_long(&m, "rc", &v), PMI_WIRE_OK);
    CU_ASSERT_EQUAL(v, -1);
    CU_ASSERT_EQUAL(pmi_get_long(&m, "n", &v), PMI_WIRE_OK);
    CU_ASSERT_EQUAL(v, 42);
    CU_ASSERT_EQUAL(pmi_get_long(&m, "bad", &v), PMI_WIRE_MALFORMED);
    CU_ASSERT_EQUAL(pmi_get_long(&m, "empty", &v), PMI_WIRE_MALFORMED);
    CU_ASSERT_EQUAL(pmi_get_long(&m, "absent", &v), PMI_WIRE_MISSING);
    CU_ASSERT_EQUAL(parse("cmd=x n=99999999999999999999999"), PMI_WIRE_OK);
    CU_ASSERT_EQUAL(pmi_get_long(&m, "n", &v), PMI_WIRE_MALFORMED);
}

/* A copy's keys and values point into its own buffer, so it outlives the
 * original (an answer kept for the thread that awaits it). */
static void test_msg_copy(void)
{
    static struct pmi_msg copy;
    CU_ASSERT_EQUAL_FATAL(parse("cmd=ferry_name_lookup_result rc=0 port=1:2:3\n"), PMI_WIRE_OK);
    pmi_msg_copy(&copy, &m);
    memset(&m, 'x', sizeof m);
    CU_ASSERT_STRING_EQUAL(copy.cmd, "ferry_name_lookup_result");
    CU_ASSERT_EQUAL(copy.nfields, 2);
    CU_ASSERT_STRING_EQUAL(pmi_get(&copy, "port"), "1:2:3");
    CU_ASSERT_STRING_EQUAL(pmi_get(&copy, "rc"), "0");
    CU_ASSERT_TRUE(copy.cmd >= copy.buf && copy.cmd < copy.buf + sizeof copy.buf);
}

static void test_parse_no_cmd(void)
{
    const char *bad[] = {"",        "\n",         "    \n",  "key=val cmd=init\n",
                         "hello\n", "cmd= a=b\n", "=init\n", "command=init\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(parse(bad[i]), PMI_WIRE_NO_CMD);
        CU_ASSERT_PTR_NULL(m.cmd);
    }
}

static void test_parse_malformed(void)
{
    CU_ASSERT_EQUAL(parse("cmd=put kvsname=k lonely value=v\n"), PMI_WIRE_MALFORMED);
    CU_ASSERT_STRING_EQUAL(m.cmd, "put"); /* known before the bad field */
    CU_ASSERT_STRING_EQUAL(pmi_get(&m, "kvsname"), "k");
    CU_ASSERT_EQUAL(parse("cmd=put =v\n"), PMI_WIRE_MALFORMED);
    CU_ASSERT_EQUAL(parse("cmd=put a=b\nc=d\n"), PMI_WIRE_MALFORMED); /* a newline inside */
    const char nul[] = "cmd=put key=a\0b value=c\n";
    CU_ASSERT_EQUAL(pmi_parse(nul, sizeof nul - 1, &m), PMI_WIRE_MALFORMED);
    const char nul_first[] = "\0cmd=init\n";
    CU_ASSERT_EQUAL(pmi_parse(nul_first, sizeof nul_first - 1, &m), PMI_WIRE_MALFORMED);
}

static void test_parse_limits(void)
{
    /* The longest line that fits, newline included, and one byte more. */
    char *s = long_line(PMI_LINE_MAX - 1);
    CU_ASSERT_EQUAL(pmi_parse(s, strlen(s), &m), PMI_WIRE_OK);
    free(s);
    s = long_line(PMI_LINE_MAX);
    CU_ASSERT_EQUAL(pmi_parse(s, strlen(s), &m), PMI_WIRE_TOO_LONG);
    free(s);
    s = long_line(100000);
    CU_ASSERT_EQUAL(pmi_parse(s, strlen(s), &m), PMI_WIRE_TOO_LONG);
    free(s);

    char line[PMI_LINE_MAX];
    int n = snprintf(line, sizeof line, "cmd=put value=");
    memset(line + n, 'v', PMI_VALLEN_MAX);
    line[n + PMI_VALLEN_MAX] = '\0';
    CU_ASSERT_EQUAL(parse(line), PMI_WIRE_OK);
    strcat(line, "v");
    CU_ASSERT_EQUAL(parse(line), PMI_WIRE_TOO_LONG);

    n = snprintf(line, sizeof line, "cmd=put ");
    memset(line + n, 'k', PMI_KEYLEN_MAX + 1);
    strcpy(line + n + PMI_KEYLEN_MAX + 1, "=v");
    CU_ASSERT_EQUAL(parse(line), PMI_WIRE_TOO_LONG);

    /* PMI_FIELDS_MAX fields after the cmd fit; one more does not. */
    n = snprintf(line, sizeof line, "cmd=x");
    for (int i = 0; i < PMI_FIELDS_MAX; i++)
        n += snprintf(line + n, sizeof line - (size_t)n, " f%d=%d", i, i);
    CU_ASSERT_EQUAL(parse(line), PMI_WIRE_OK);
    CU_ASSERT_EQUAL(m.nfields, PMI_FIELDS_MAX);
    CU_ASSERT_STRING_EQUAL(pmi_get(&m, "f31"), "31");
    strcat(line, " one=more");
    CU_ASSERT_EQUAL(parse(line), PMI_WIRE_TOO_MANY);
}

static void test_strerror(void)
{
    int codes[] = {PMI_WIRE_OK,       PMI_WIRE_TOO_LONG, PMI_WIRE_MALFORMED, PMI_WIRE_NO_CMD,
                   PMI_WIRE_TOO_MANY, PMI_WIRE_EOF,      PMI_WIRE_IO,        PMI_WIRE_MISSING};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        for (size_t j = 0; j < i; j++)
            CU_ASSERT(strcmp(pmi_wire_strerror(codes[i]), pmi_wire_strerror(codes[j])) != 0);
    CU_ASSERT_PTR_NOT_NULL(pmi_wire_strerror(12345));
}

static int sp[2];

static int pair(void)
{
    return socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
}

static void close_pair(void)
{
    close(sp[0]);
    close(sp[1]);
}

static void put_bytes(int fd, const char *s, size_t n)
{
    CU_ASSERT_EQUAL(write(fd, s, n), (ssize_t)n);
}

static void test_reader_pieces(void)
{
    CU_ASSERT_EQUAL_FATAL(pair(), 0);
    struct pmi_reader r;
    pmi_reader_init(&r, sp[0]);
    CU_ASSERT_EQUAL(pmi_reader_fill(&r), 0); /* nothing yet: does not block */
    put_bytes(sp[1], "cmd=in", 6);
    CU_ASSERT_EQUAL(pmi_reader_fill(&r), 6);
    CU_ASSERT_EQUAL(pmi_next_msg(&r, &m), 0);
    const char *rest = "it pmi_version=1\ncmd=get_maxes\ncmd=bar";
    put_bytes(sp[1], rest, strlen(rest));
    CU_ASSERT(pmi_reader_fill(&r) > 0);
    CU_ASSERT_EQUAL_FATAL(pmi_next_msg(&r, &m), 1);
    CU_ASSERT_STRING_EQUAL(m.cmd, "init");
    CU_ASSERT_STRING_EQUAL(pmi_get(&m, "pmi_version"), "1");
    CU_ASSERT_EQUAL_FATAL(pmi_next_msg(&r, &m), 1);
    CU_ASSERT_STRING_EQUAL(m.cmd, "get_maxes");
    CU_ASSERT_EQUAL(pmi_next_msg(&r, &m), 0);
    put_bytes(sp[1], "rier_in\n", 8);
    CU_ASSERT(pmi_reader_fill(&r) > 0);
    CU_ASSERT_EQUAL_FATAL(pmi_next_msg(&r, &m), 1);
    CU_ASSERT_STRING_EQUAL(m.cmd, "barrier_in");

    /* A bad line is reported and the next one still read. */
    put_bytes(sp[1], "junk\ncmd=ok\n", 12);
    CU_ASSERT(pmi_reader_fill(&r) > 0);
    CU_ASSERT_EQUAL(pmi_next_msg(&r, &m), PMI_WIRE_NO_CMD);
    CU_ASSERT_EQUAL_FATAL(pmi_next_msg(&r, &m), 1);
    CU_ASSERT_STRING_EQUAL(m.cmd, "ok");

    /* EOF, also in the middle of a line. */
    put_bytes(sp[1], "cmd=cut", 7);
    close(sp[1]);
    CU_ASSERT(pmi_reader_fill(&r) > 0);
    CU_ASSERT_EQUAL(pmi_next_msg(&r, &m), 0);
    CU_ASSERT_EQUAL(pmi_reader_fill(&r), PMI_WIRE_EOF);
    close(sp[0]);
}

/* An over-long line is dropped up to its newline and reported once, with
 * nonblocking and blocking readers, wherever the buffer boundary falls. */
static void test_reader_too_long(void)
{
    size_t lens[] = {PMI_LINE_MAX - 1, PMI_LINE_MAX,          PMI_LINE_MAX + 1,
                     2 * PMI_LINE_MAX, 3 * PMI_LINE_MAX + 17, 50000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        CU_ASSERT_EQUAL_FATAL(pair(), 0);
        char *s = long_line(lens[i]);
        put_bytes(sp[1], s, lens[i]);
        put_bytes(sp[1], "\ncmd=after\n", 11);
        free(s);
        int fits = lens[i] < PMI_LINE_MAX;

        struct pmi_reader r;
        pmi_reader_init(&r, sp[0]);
        int got[4], ngot = 0, rc;
        while (ngot < 2 && (rc = pmi_reader_fill(&r)) > 0)
            while (ngot < 4 && (rc = pmi_next_msg(&r, &m)) != 0) got[ngot++] = rc;
        CU_ASSERT_EQUAL_FATAL(ngot, 2);
        CU_ASSERT_EQUAL(got[0], fits ? 1 : PMI_WIRE_TOO_LONG);
        CU_ASSERT_EQUAL(got[1], 1);
        CU_ASSERT_STRING_EQUAL(m.cmd, "after");
        close_pair();
    }
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        CU_ASSERT_EQUAL_FATAL(pair(), 0);
        char *s = long_line(lens[i]);
        put_bytes(sp[1], s, lens[i]);
        put_bytes(sp[1], "\ncmd=after\n", 11);
        free(s);
        struct pmi_reader r;
        pmi_reader_init(&r, sp[0]);
        CU_ASSERT_EQUAL(pmi_read_msg(&r, &m),
                        lens[i] < PMI_LINE_MAX ? PMI_WIRE_OK : PMI_WIRE_TOO_LONG);
        CU_ASSERT_EQUAL_FATAL(pmi_read_msg(&r, &m), PMI_WIRE_OK);
        CU_ASSERT_STRING_EQUAL(m.cmd, "after");
        close(sp[1]);
        CU_ASSERT_EQUAL(pmi_read_msg(&r, &m), PMI_WIRE_EOF);
        close(sp[0]);
    }
}

static void on_alarm(int sig)
{
    (void)sig;
}

/* The blocking reader waits through partial writes and a signal (EINTR). */
static void test_read_blocking(void)
{
    CU_ASSERT_EQUAL_FATAL(pair(), 0);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        const char *parts[] = {"cmd=ge", "t kvsname=k", "vs key=", "x\ncmd=second\n"};
        for (int i = 0; i < 4; i++) {
            usleep(40000);
            if (write(sp[1], parts[i], strlen(parts[i])) < 0) _exit(1);
        }
        _exit(0);
    }
    close(sp[1]);
    struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART: read gets EINTR */
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {.it_interval = {0, 10000}, .it_value = {0, 10000}};
    setitimer(ITIMER_REAL, &it, NULL);
    struct pmi_reader r;
    pmi_reader_init(&r, sp[0]);
    CU_ASSERT_EQUAL(pmi_read_msg(&r, &m), PMI_WIRE_OK);
    CU_ASSERT_STRING_EQUAL(m.cmd, "get");
    CU_ASSERT_STRING_EQUAL(pmi_get(&m, "kvsname"), "kvs");
    CU_ASSERT_STRING_EQUAL(pmi_get(&m, "key"), "x");
    CU_ASSERT_EQUAL(pmi_read_msg(&r, &m), PMI_WIRE_OK);
    CU_ASSERT_STRING_EQUAL(m.cmd, "second");
    CU_ASSERT_EQUAL(pmi_read_msg(&r, &m), PMI_WIRE_EOF);
    struct itimerval off = {0};
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
    waitpid(pid, NULL, 0);
    close(sp[0]);
}

static void test_send(void)
{
    CU_ASSERT_EQUAL_FATAL(pair(), 0);
    CU_ASSERT_EQUAL(pmi_send(sp[0], "put", "kvsname", "k", "key", "a", "value", "x=y", NULL),
                    PMI_WIRE_OK);
    CU_ASSERT_EQUAL(pmi_send(sp[0], "barrier_in", NULL), PMI_WIRE_OK);
    char buf[256] = {0};
    const char *want = "cmd=put kvsname=k key=a value=x=y\ncmd=barrier_in\n";
    ssize_t n = recv(sp[1], buf, sizeof buf - 1, MSG_WAITALL | MSG_DONTWAIT);
    CU_ASSERT_EQUAL(n, (ssize_t)strlen(want));
    CU_ASSERT_STRING_EQUAL(buf, want);

    /* What would break the line apart is refused, and nothing is sent. */
    CU_ASSERT_EQUAL(pmi_send(sp[0], "put", "key", "a b", NULL), PMI_WIRE_MALFORMED);
    CU_ASSERT_EQUAL(pmi_send(sp[0], "put", "key", "a\nb", NULL), PMI_WIRE_MALFORMED);
    CU_ASSERT_EQUAL(pmi_send(sp[0], "put", "", "v", NULL), PMI_WIRE_MALFORMED);
    CU_ASSERT_EQUAL(pmi_send(sp[0], "put", "k=x", "v", NULL), PMI_WIRE_MALFORMED);
    CU_ASSERT_EQUAL(pmi_send(sp[0], "put", "key", NULL), PMI_WIRE_MALFORMED);
    CU_ASSERT_EQUAL(pmi_send(sp[0], "a b", NULL), PMI_WIRE_MALFORMED);
    CU_ASSERT_EQUAL(pmi_send(sp[0], "", NULL), PMI_WIRE_MALFORMED);
    char big[PMI_VALLEN_MAX + 2];
    memset(big, 'v', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CU_ASSERT_EQUAL(pmi_send(sp[0], "put", "value", big, NULL), PMI_WIRE_TOO_LONG);
    big[PMI_VALLEN_MAX] = '\0';
    CU_ASSERT_EQUAL(pmi_send(sp[0], "put", "a", big, "b", big, "c", big, "d", big, NULL),
                    PMI_WIRE_TOO_LONG); /* each fits, the line does not */
    CU_ASSERT_EQUAL(recv(sp[1], buf, sizeof buf, MSG_DONTWAIT), -1);
    CU_ASSERT_EQUAL(errno, EAGAIN);

    /* A send to a dead peer is an error, not a SIGPIPE that kills us. */
    close(sp[1]);
    errno = 0;
    CU_ASSERT_EQUAL(pmi_send(sp[0], "finalize", NULL), PMI_WIRE_IO);
    CU_ASSERT_EQUAL(errno, EPIPE);
    close(sp[0]);

    /* A full socket that would block is an error too (the server's
     * protection against a rank that never reads its answers). */
    CU_ASSERT_EQUAL_FATAL(pair(), 0);
    struct timeval tv = {.tv_usec = 50000};
    setsockopt(sp[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int rc = PMI_WIRE_OK;
    for (int i = 0; i < 100000 && rc == PMI_WIRE_OK; i++)
        rc = pmi_send(sp[0], "put", "value", big, NULL);
    CU_ASSERT_EQUAL(rc, PMI_WIRE_IO);
    CU_ASSERT(errno == EAGAIN || errno == EWOULDBLOCK);
    close_pair();
}

static void test_kvs(void)
{
    struct kvs *k = kvs_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    CU_ASSERT_EQUAL(kvs_put(k, "a", "1"), 0);
    CU_ASSERT_EQUAL(kvs_put(k, "a", "2"), -EEXIST);
    CU_ASSERT_STRING_EQUAL(kvs_get(k, "a"), "1");
    CU_ASSERT_PTR_NULL(kvs_get(k, "b"));
    char key[32], val[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        snprintf(val, sizeof val, "val-%d", i * 7);
        CU_ASSERT_EQUAL(kvs_put(k, key, val), 0);
    }
    CU_ASSERT_EQUAL(kvs_count(k), 20001);
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        snprintf(val, sizeof val, "val-%d", i * 7);
        const char *v = kvs_get(k, key);
        bad += !v || strcmp(v, val) != 0;
    }
    CU_ASSERT_EQUAL(bad, 0);
    kvs_destroy(k);
}

/* The server side: two ranks on socketpairs. */
static int cfd[2];
static struct pmi_reader crd[2];
static struct pmi_server *srv;
static int aborts, abort_rank;
static long abort_code;
static char abort_msg[64];
static int bad_reports[2];

static void hook_abort(void *ctx, int rank, long code, const char *msg)
{
    aborts++;
    abort_rank = rank;
    abort_code = code;
    snprintf(abort_msg, sizeof abort_msg, "%s", msg ? msg : "(none)");
}

static void hook_bad(void *ctx, int rank, const char *what)
{
    bad_reports[rank]++;
}

static void server_up(void)
{
    struct pmi_server_hooks h = {.on_abort = hook_abort, .on_bad_request = hook_bad};
    srv = pmi_server_create(2, "kvs_test_0", &h);
    CU_ASSERT_PTR_NOT_NULL_FATAL(srv);
    for (int i = 0; i < 2; i++) {
        int p[2];
        CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, p), 0);
        pmi_server_attach(srv, i, p[0]);
        cfd[i] = p[1];
        pmi_reader_init(&crd[i], p[1]);
    }
    aborts = 0;
    bad_reports[0] = bad_reports[1] = 0;
}

static void server_down(void)
{
    pmi_server_destroy(srv);
    close(cfd[0]);
    close(cfd[1]);
}

/* Send raw bytes as rank, let the server serve them, read one answer line
 * (as text, without the newline) into ans. */
static char ans[PMI_LINE_MAX];

static void ask(int rank, const char *raw, size_t len)
{
    put_bytes(cfd[rank], raw, len);
    /* The server reads a buffer per call, as once per poll() wake-up. */
    for (size_t i = 0; i <= len / PMI_LINE_MAX; i++)
        CU_ASSERT_EQUAL(pmi_server_service(srv, rank), 0);
    ans[0] = '\0';
    char c;
    size_t n = 0;
    while (n < sizeof ans - 1 && recv(cfd[rank], &c, 1, MSG_DONTWAIT) == 1 && c != '\n')
        ans[n++] = c;
    ans[n] = '\0';
}

static void asks(int rank, const char *line)
{
    ask(rank, line, strlen(line));
}

static int has_answer(int rank)
{
    char c;
    return recv(cfd[rank], &c, 1, MSG_DONTWAIT | MSG_PEEK) == 1;
}

static void test_server_basics(void)
{
    server_up();
    asks(0, "cmd=init pmi_version=1 pmi_subversion=1\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=response_to_init pmi_version=1 pmi_subversion=1 rc=0");
    asks(0, "cmd=get_maxes\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=maxes kvsname_max=256 keylen_max=256 vallen_max=1024 rc=0");
    asks(1, "cmd=get_my_kvsname\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=my_kvsname kvsname=kvs_test_0 rc=0");
    asks(1, "cmd=get_universe_size\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=universe_size size=2 rc=0");
    asks(0, "cmd=get_appnum\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=appnum appnum=0 rc=0");
    asks(0, "cmd=init pmi_version=2 pmi_subversion=0\n");
    CU_ASSERT_PTR_NOT_NULL(strstr(ans, "cmd=response_to_init "));
    CU_ASSERT_PTR_NOT_NULL(strstr(ans, "rc=-1"));

    asks(0, "cmd=put kvsname=kvs_test_0 key=addr-0 value=tcp://x:1\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=put_result rc=0 msg=success");
    asks(1, "cmd=get kvsname=kvs_test_0 key=addr-0\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=get_result rc=0 msg=success value=tcp://x:1");
    asks(1, "cmd=put kvsname=kvs_test_0 key=addr-0 value=other\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=put_result rc=-1 msg=duplicate_key_addr-0");
    asks(1, "cmd=get kvsname=kvs_test_0 key=nope\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=get_result rc=-1 msg=key_nope_not_found");
    asks(1, "cmd=get kvsname=kvs_test_0 key=PMI_process_mapping\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=get_result rc=0 msg=success value=(vector,(0,1,2))");
    asks(0, "cmd=finalize\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=finalize_ack");
    CU_ASSERT_EQUAL(bad_reports[0] + bad_reports[1], 1); /* the pmi_version=2 init */
    server_down();
}

static void test_server_bad_requests(void)
{
    server_up();
    asks(0, "cmd=frobnicate a=b\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=frobnicate rc=-1 msg=unknown_command");
    asks(0, "garbage\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=error rc=-1 msg=no_cmd");
    asks(0, "cmd=put kvsname=kvs_test_0 key=a lonely\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=put_result rc=-1 msg=malformed_field");
    asks(0, "cmd=put kvsname=wrong key=a value=b\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=put_result rc=-1 msg=unknown_kvsname");
    asks(0, "cmd=put kvsname=kvs_test_0 value=b\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=put_result rc=-1 msg=missing_key");
    asks(0, "cmd=put kvsname=kvs_test_0 key=b\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=put_result rc=-1 msg=missing_value");
    asks(0, "cmd=get key=b\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=get_result rc=-1 msg=missing_kvsname");
    const char nul[] = "cmd=get kvsname=kvs_test_0 key=a\0b\n";
    ask(0, nul, sizeof nul - 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(ans, "rc=-1 msg=malformed_field"));
    char *big = long_line(3 * PMI_LINE_MAX);
    ask(0, big, strlen(big));
    CU_ASSERT_STRING_EQUAL(ans, ""); /* no newline yet: nothing to answer */
    asks(0, "\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=error rc=-1 msg=line_or_field_too_long");
    free(big);
    char many[PMI_LINE_MAX] = "cmd=get_universe_size";
    for (int i = 0; i <= PMI_FIELDS_MAX; i++) strcat(many, " a=b");
    strcat(many, "\n");
    asks(0, many);
    CU_ASSERT_STRING_EQUAL(ans, "cmd=universe_size rc=-1 msg=too_many_fields");
    /* Reported once per rank; still served afterwards. */
    CU_ASSERT_EQUAL(bad_reports[0], 1);
    asks(0, "cmd=get_appnum\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=appnum appnum=0 rc=0");
    /* Several requests in one write are all answered, in order. */
    put_bytes(cfd[1], "cmd=get_appnum\ncmd=bogus\ncmd=finalize\n", 38);
    CU_ASSERT_EQUAL(pmi_server_service(srv, 1), 0);
    const char *want[] = {"appnum", "bogus", "finalize_ack"};
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL_FATAL(pmi_read_msg(&crd[1], &m), PMI_WIRE_OK);
        CU_ASSERT_STRING_EQUAL(m.cmd, want[i]);
    }
    CU_ASSERT_EQUAL(bad_reports[1], 1);
    CU_ASSERT_EQUAL(aborts, 0);
    server_down();
}

static void test_server_barrier(void)
{
    server_up();
    int w, g;
    asks(0, "cmd=barrier_in\n");
    CU_ASSERT_STRING_EQUAL(ans, ""); /* waits for rank 1 */
    CU_ASSERT_FALSE(pmi_server_barrier_stuck(srv, &w, &g));
    asks(0, "cmd=barrier_in\n"); /* twice: an error, still waiting */
    CU_ASSERT_STRING_EQUAL(ans, "cmd=barrier_out rc=-1 msg=already_in_barrier");
    asks(1, "cmd=barrier_in\n");
    CU_ASSERT_STRING_EQUAL(ans, "cmd=barrier_out");
    CU_ASSERT_EQUAL_FATAL(pmi_read_msg(&crd[0], &m), PMI_WIRE_OK);
    CU_ASSERT_STRING_EQUAL(m.cmd, "barrier_out");
    CU_ASSERT_FALSE(has_answer(0));

    /* A second barrier that rank 1 can never join once it has ended. */
    asks(1, "cmd=barrier_in\n");
    CU_ASSERT_STRING_EQUAL(ans, "");
    CU_ASSERT_FALSE(pmi_server_barrier_stuck(srv, &w, &g));
    pmi_server_rank_gone(srv, 0);
    CU_ASSERT_TRUE(pmi_server_barrier_stuck(srv, &w, &g));
    CU_ASSERT_EQUAL(w, 1);
    CU_ASSERT_EQUAL(g, 0);
    server_down();
}

static void test_server_abort_and_close(void)
{
    server_up();
    asks(1, "cmd=abort exitcode=7 error_msg=gave_up\n");
    CU_ASSERT_STRING_EQUAL(ans, ""); /* no answer: the job ends */
    CU_ASSERT_EQUAL(aborts, 1);
    CU_ASSERT_EQUAL(abort_rank, 1);
    CU_ASSERT_EQUAL(abort_code, 7);
    CU_ASSERT_STRING_EQUAL(abort_msg, "gave_up");
    /* An abort whose message has spaces still aborts. */
    asks(0, "cmd=abort exitcode=3 error_msg=it all went wrong\n");
    CU_ASSERT_EQUAL(aborts, 2);
    CU_ASSERT_EQUAL(abort_code, 3);
    asks(0, "cmd=abort\n");
    CU_ASSERT_EQUAL(aborts, 3);
    CU_ASSERT_EQUAL(abort_code, 1);

    /* A rank closing its socket: reported once as closed, fd gone. */
    close(cfd[1]);
    CU_ASSERT_EQUAL(pmi_server_service(srv, 1), 1);
    CU_ASSERT_EQUAL(pmi_server_fd(srv, 1), -1);
    CU_ASSERT_EQUAL(pmi_server_service(srv, 1), 0);
    cfd[1] = socket(AF_UNIX, SOCK_STREAM, 0); /* for server_down */
    /* A rank that closes right after a request: no crash, no SIGPIPE. */
    put_bytes(cfd[0], "cmd=get_maxes\n", 14);
    close(cfd[0]);
    CU_ASSERT_EQUAL(pmi_server_service(srv, 0), 1);
    cfd[0] = socket(AF_UNIX, SOCK_STREAM, 0);
    server_down();
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    CU_pSuite s = CU_add_suite("pmi_wire", NULL, NULL);
    CU_add_test(s, "parse good lines", test_parse_good);
    CU_add_test(s, "parse: no cmd", test_parse_no_cmd);
    CU_add_test(s, "copy of a parsed line", test_msg_copy);
    CU_add_test(s, "parse: malformed", test_parse_malformed);
    CU_add_test(s, "parse: limits", test_parse_limits);
    CU_add_test(s, "strerror", test_strerror);
    CU_add_test(s, "reader: lines in pieces", test_reader_pieces);
    CU_add_test(s, "reader: over-long lines", test_reader_too_long);
    CU_add_test(s, "reader: blocking, EINTR", test_read_blocking);
    CU_add_test(s, "send", test_send);
    CU_pSuite srv_suite = CU_add_suite("pmi_server", NULL, NULL);
    CU_add_test(srv_suite, "kvs", test_kvs);
    CU_add_test(srv_suite, "answers", test_server_basics);
    CU_add_test(srv_suite, "bad requests", test_server_bad_requests);
    CU_add_test(srv_suite, "barrier", test_server_barrier);
    CU_add_test(srv_suite, "abort and close", test_server_abort_and_close);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failed != 0;
}
