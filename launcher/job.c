/* The job's life. Everything happens in one poll() loop (loop.c) over a
 * signalfd (SIGCHLD and the signals to forward), the local ranks' PMI
 * sockets and output pipes, and the links to node agents, with timers as
 * the poll timeout: no threads, no handlers.
 *
 * Failure rule: the first rank to exit non-zero, die by a signal or call
 * abort, or the first host lost, decides the exit status; every other rank
 * then gets SIGTERM, and SIGKILL one second later (agents do the same with
 * their ranks when told). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher/bind.h"
#include "launcher/io.h"
#include "launcher/job.h"
#include "launcher/kvs.h"
#include "launcher/loop.h"
#include "launcher/names.h"
#include "launcher/ranks.h"
#include "launcher/report.h"
#include "launcher/tree.h"
#include "transports/shm/segment.h"

#define KILL_GRACE_MS  1000 /* SIGTERM, then SIGKILL after this */
#define DRAIN_GRACE_MS 1000 /* output still read after the last rank ended */

struct kv {
    char *key, *val;
};

struct job {
    struct job_config *cfg;
    const struct jobspec *spec;
    int np, multi;
    struct node_ranks local;
    struct tree tree;
    int has_tree;
    struct io_sink sink_out, sink_err;
    int sigfd, sig_ready;
    int failed; /* the exit status below is decided */
    int status;
    int ending;        /* ranks were told to stop */
    int64_t kill_at;   /* when to SIGKILL what still runs; 0: not pending */
    int64_t deadline;  /* --timeout; 0: none */
    int64_t drain_end; /* stop reading output after this; 0: not yet */
    /* Every rank, wherever it runs. */
    pid_t *pid;
    char *ended;
    int nended, any_ended_ok;
    int (*mid)[2]; /* remote output: each stream inside a line */
    /* The current fence. */
    int local_in;
    struct kv *epoch;
    size_t nepoch, capepoch;
    struct kvs *store;
    struct names *names; /* the job's name service, for every node */
    struct loop loop;
};

static const char *host_of(const struct job *j, int rank)
{
    return j->spec->map.name[j->spec->map.node_of[rank]];
}

/* " on host H" when the job spans hosts: single-node messages stay short. */
static const char *on_host(const struct job *j, int rank, char *buf, size_t cap)
{
    if (!j->multi) return "";
    snprintf(buf, cap, " on host %s", host_of(j, rank));
    return buf;
}

static void send_kill(struct job *j, int sig)
{
    if (!j->has_tree) return;
    struct wbuf b;
    wbuf_start(&b, W_KILL);
    wbuf_u32(&b, (uint32_t)sig);
    wbuf_finish(&b);
    tree_broadcast(&j->tree, &b);
    wbuf_free(&b);
}

static void signal_all(struct job *j, int sig)
{
    ranks_signal(&j->local, sig);
    send_kill(j, sig);
}

/* Tell every running rank to stop with sig; SIGKILL follows. */
static void end_ranks(struct job *j, int sig)
{
    if (j->ending) return;
    j->ending = 1;
    j->kill_at = loop_now_ms() + KILL_GRACE_MS;
    signal_all(j, sig);
}

/* The first failure decides the status; later ones are consequences. */
static int decide(struct job *j, int status)
{
    if (j->failed) return 0;
    j->failed = 1;
    j->status = status;
    return 1;
}

static void fail_job(struct job *j, int status)
{
    decide(j, status);
    end_ranks(j, SIGTERM);
}

static void on_abort(void *ctx, int rank, long code, const char *msg)
{
    struct job *j = ctx;
    int status = (int)(code & 0xff);
    if (status == 0) status = 1;
    char h[300];
    if (!j->failed) {
        if (msg)
            ferry_report("rank %d%s called abort (exit code %ld): %s", rank,
                         on_host(j, rank, h, sizeof h), code, msg);
        else
            ferry_report("rank %d%s called abort (exit code %ld)", rank,
                         on_host(j, rank, h, sizeof h), code);
    }
    fail_job(j, status);
}

static void on_bad_request(void *ctx, int rank, const char *what)
{
    struct job *j = ctx;
    char h[300];
    ferry_report("rank %d%s sent a bad PMI request (%s); later ones are answered silently", rank,
                 on_host(j, rank, h, sizeof h), what);
}

static int fence_pending(const struct job *j)
{
    if (j->local.pmi && pmi_server_barrier_count(j->local.pmi) > 0) return 1;
    for (int i = 0; j->has_tree && i < j->tree.nc; i++)
        if (j->tree.c[i].fence_in) return 1;
    return 0;
}

static void check_barrier(struct job *j)
{
    int waiter, missing;
    pid_t pid;
    if (j->ending) return;
    if (ranks_barrier_stuck(&j->local, &waiter, &missing, &pid)) {
        char h[300];
        ferry_report("rank %d waits in a PMI barrier that rank %d (pid %d)%s can never join: it "
                     "has exited",
                     waiter, missing, (int)pid, on_host(j, missing, h, sizeof h));
        fail_job(j, 1);
        return;
    }
    /* Across nodes: a rank that exited normally never joins a fence that
     * some rank waits in (unless ended ranks count as present). */
    if (!j->multi || j->cfg->no_abort || !j->any_ended_ok || !fence_pending(j)) return;
    for (int r = 0; r < j->np; r++) {
        if (!j->ended[r]) continue;
        char h[300];
        ferry_report("ranks wait in a PMI barrier that rank %d (pid %d)%s can never join: it has "
                     "exited",
                     r, (int)j->pid[r], on_host(j, r, h, sizeof h));
        fail_job(j, 1);
        return;
    }
}

static void remember_failure(struct job *j, int status)
{
    decide(j, status);
}

/* --no-abort-on-exit: every other rank, wherever it runs, hears of it. */
static void announce_exit(struct job *j, int rank)
{
    if (j->local.pmi) pmi_server_announce_exit(j->local.pmi, ranks_local(&j->local, rank), rank);
    if (!j->has_tree) return;
    struct wbuf b;
    wbuf_start(&b, W_RANK_EXITED);
    wbuf_u32(&b, (uint32_t)rank);
    wbuf_finish(&b);
    tree_broadcast(&j->tree, &b);
    wbuf_free(&b);
}

static void check_fence(struct job *j);

static void rank_ended(struct job *j, int rank, pid_t pid, int st)
{
    if (j->ended[rank]) return;
    j->ended[rank] = 1;
    j->nended++;
    j->pid[rank] = pid;
    if (j->names) names_rank_gone(j->names, rank);
    char h[300];
    const char *where = on_host(j, rank, h, sizeof h);
    /* With --no-abort-on-exit a failure is reported and remembered for the
     * exit code, the others go on and are told the rank is gone. */
    void (*failed)(struct job *, int) = j->cfg->no_abort ? remember_failure : fail_job;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        j->any_ended_ok = 1;
        if (j->cfg->verbose)
            ferry_report("rank %d (pid %d)%s exited with code 0", rank, (int)pid, where);
    } else if (!j->ending) {
        char desc[96];
        if (WIFEXITED(st)) {
            ferry_report("rank %d (pid %d)%s exited with code %d", rank, (int)pid, where,
                         WEXITSTATUS(st));
            failed(j, WEXITSTATUS(st));
        } else {
            int sig = WTERMSIG(st);
            ferry_report("rank %d (pid %d)%s killed by signal %s", rank, (int)pid, where,
                         ferry_signal_desc(sig, desc, sizeof desc));
            failed(j, 128 + sig);
        }
    }
    if (j->cfg->no_abort && !j->ending) {
        announce_exit(j, rank);
        check_fence(j);
    }
    check_barrier(j);
}

static void on_local_exit(void *ctx, int rank, pid_t pid, int status)
{
    rank_ended(ctx, rank, pid, status);
}

/* --- the fence across nodes --- */

static void epoch_add(struct job *j, const char *key, size_t klen, const char *val, size_t vlen)
{
    if (j->nepoch == j->capepoch) {
        size_t cap = j->capepoch ? 2 * j->capepoch : 64;
        struct kv *e = realloc(j->epoch, cap * sizeof *e);
        if (!e) return; /* the key is lost; its gets fail cleanly */
        j->epoch = e;
        j->capepoch = cap;
    }
    char *k = strndup(key, klen), *v = strndup(val, vlen);
    if (!k || !v) {
        free(k);
        free(v);
        return;
    }
    j->epoch[j->nepoch++] = (struct kv){k, v};
}

static void on_local_put(void *ctx, const char *key, const char *val)
{
    epoch_add(ctx, key, strlen(key), val, strlen(val));
}

/* A subtree whose agent has finished counts as in when ended ranks do. */
static int child_in(const struct job *j, const struct tree_child *c)
{
    return c->fence_in || (j->cfg->no_abort && c->gone);
}

static void check_fence(struct job *j)
{
    if (!j->multi || (j->local.n && !j->local_in)) return;
    int any = j->local_in;
    for (int i = 0; i < j->tree.nc; i++) {
        if (!child_in(j, &j->tree.c[i])) return;
        any |= j->tree.c[i].fence_in;
    }
    if (!any) return;
    /* Everyone is in: publish this epoch's puts everywhere, release all. */
    struct wbuf b;
    wbuf_start(&b, W_FENCE_OUT);
    size_t nkeep = 0;
    for (size_t i = 0; i < j->nepoch; i++)
        if (kvs_put(j->store, j->epoch[i].key, j->epoch[i].val) == 0)
            nkeep++;
        else {
            free(j->epoch[i].key);
            j->epoch[i].key = NULL;
        }
    wbuf_u32(&b, (uint32_t)nkeep);
    for (size_t i = 0; i < j->nepoch; i++) {
        if (!j->epoch[i].key) {
            free(j->epoch[i].val);
            continue;
        }
        wbuf_str(&b, j->epoch[i].key);
        wbuf_str(&b, j->epoch[i].val);
        if (j->local.pmi) pmi_server_kvs_put(j->local.pmi, j->epoch[i].key, j->epoch[i].val);
        free(j->epoch[i].key);
        free(j->epoch[i].val);
    }
    j->nepoch = 0;
    wbuf_finish(&b);
    if (b.oom) {
        ferry_report("out of memory completing a PMI fence");
        fail_job(j, 1);
    }
    for (int i = 0; i < j->tree.nc; i++) j->tree.c[i].fence_in = 0;
    tree_broadcast(&j->tree, &b);
    wbuf_free(&b);
    j->local_in = 0;
    if (j->local.pmi) pmi_server_barrier_release(j->local.pmi);
}

static void on_local_barrier(void *ctx)
{
    struct job *j = ctx;
    j->local_in = 1;
    check_fence(j);
}

/* --- the name service, for every node --- */

static struct tree_child *route_to(struct job *j, int rank)
{
    int t = jobspec_tree_of_node(j->spec, j->spec->map.node_of[rank]);
    int c = t > 0 ? tree_route(0, t, j->spec->fanout) : -1;
    for (int i = 0; c > 0 && i < j->tree.nc; i++)
        if (j->tree.c[i].t == c) return &j->tree.c[i];
    return NULL;
}

static void name_answer(void *ctx, int rank, const char *cmd, const char *rc, const char *key,
                        const char *val)
{
    struct job *j = ctx;
    if (ranks_local(&j->local, rank) >= 0) {
        ranks_answer(&j->local, rank, cmd, rc, key, val);
        return;
    }
    struct tree_child *c = route_to(j, rank);
    if (!c) return;
    struct wbuf b;
    wbuf_start(&b, W_NAME_ANS);
    wbuf_u32(&b, (uint32_t)rank);
    wbuf_str(&b, cmd);
    wbuf_str(&b, rc);
    wbuf_str(&b, key ? key : "");
    wbuf_str(&b, key ? val : "");
    wbuf_finish(&b);
    tree_send(&j->tree, c, &b);
    wbuf_free(&b);
}

static void on_local_name(void *ctx, int rank, const char *cmd, const char *name, const char *port,
                          const char *timeout_ms)
{
    struct job *j = ctx;
    names_serve(j->names, rank, cmd, name, port, timeout_ms, loop_now_ms(), name_answer, j);
}

/* --- frames from the agents --- */

/* Whether rank runs on a node in the subtree of child c. */
static int in_subtree(const struct job *j, const struct tree_child *c, int rank)
{
    return jobspec_in_subtree(j->spec, c->t, rank);
}

static void bad_frame(struct job *j, struct tree_child *c, const char *what)
{
    ferry_report("the agent on host %s sent a malformed %s message; ending the job", c->host, what);
    link_close(&c->link, "a malformed message");
    fail_job(j, 1);
}

static void remote_output(struct job *j, uint32_t rank, int stream, const char *p, size_t n)
{
    struct io_sink *k = stream == 2 ? &j->sink_err : &j->sink_out;
    char tag[48] = "";
    if (j->cfg->tag_output) io_tag(tag, sizeof tag, (int)rank, stream == 2 ? "stderr" : "stdout");
    io_emit(k, tag, strlen(tag), &j->mid[rank][stream - 1], p, n);
}

static void on_frame(void *ctx, struct tree_child *c, uint16_t type, const uint8_t *body,
                     size_t len)
{
    struct job *j = ctx;
    struct wread r;
    wread_init(&r, body, len);
    switch (type) {
    case W_OUTPUT: {
        uint32_t rank = wread_u32(&r);
        uint8_t stream = wread_u8(&r);
        size_t n;
        const char *p = wread_bytes(&r, &n);
        if (!wread_done(&r) || (stream != 1 && stream != 2)) return bad_frame(j, c, "output");
        if (rank == UINT32_MAX) { /* an agent's own words, already prefixed */
            int mid = 0;
            io_emit(&j->sink_err, "", 0, &mid, p, n);
        } else if (rank < (uint32_t)j->np && in_subtree(j, c, (int)rank)) {
            remote_output(j, rank, stream, p, n);
        } else {
            return bad_frame(j, c, "output");
        }
        return;
    }
    case W_SPAWNED: {
        uint32_t rank = wread_u32(&r), pid = wread_u32(&r);
        char *where = wread_strdup(&r, 512);
        if (!wread_done(&r) || rank >= (uint32_t)j->np || !in_subtree(j, c, (int)rank)) {
            free(where);
            return bad_frame(j, c, "start");
        }
        j->pid[rank] = (pid_t)pid;
        if (j->cfg->verbose)
            ferry_report("rank %u: pid %u on host %s, %s", rank, pid, host_of(j, (int)rank), where);
        free(where);
        return;
    }
    case W_EXIT: {
        uint32_t rank = wread_u32(&r), pid = wread_u32(&r), st = wread_u32(&r);
        if (!wread_done(&r) || rank >= (uint32_t)j->np || !in_subtree(j, c, (int)rank))
            return bad_frame(j, c, "exit");
        rank_ended(j, (int)rank, (pid_t)pid, (int)st);
        return;
    }
    case W_ABORT: {
        uint32_t rank = wread_u32(&r), code = wread_u32(&r);
        char *msg = wread_strdup(&r, 4096);
        if (!wread_done(&r) || rank >= (uint32_t)j->np || !in_subtree(j, c, (int)rank)) {
            free(msg);
            return bad_frame(j, c, "abort");
        }
        on_abort(j, (int)rank, (long)(int32_t)code, *msg ? msg : NULL);
        free(msg);
        return;
    }
    case W_BAD_PMI: {
        uint32_t rank = wread_u32(&r);
        char *what = wread_strdup(&r, 4096);
        if (wread_done(&r) && rank < (uint32_t)j->np && in_subtree(j, c, (int)rank))
            on_bad_request(j, (int)rank, what);
        free(what);
        return;
    }
    case W_ERROR: {
        char *host = wread_strdup(&r, HOST_NAME_MAX_LEN), *text = wread_strdup(&r, 4096);
        if (wread_done(&r) && !j->ending) ferry_report("host %s: %s", host, text);
        free(host);
        free(text);
        if (!j->ending) fail_job(j, 1);
        return;
    }
    case W_NAME_REQ: {
        uint32_t rank = wread_u32(&r);
        char *cmd = wread_strdup(&r, 64), *name = wread_strdup(&r, NAMES_NAME_MAX + 1),
             *port = wread_strdup(&r, NAMES_PORT_MAX), *t = wread_strdup(&r, 32);
        int ok =
            wread_done(&r) && rank < (uint32_t)j->np && in_subtree(j, c, (int)rank) &&
            names_valid(name) &&
            (strcmp(cmd, "ferry_name_register") == 0 || strcmp(cmd, "ferry_name_unregister") == 0 ||
             strcmp(cmd, "ferry_name_lookup") == 0);
        if (ok)
            names_serve(j->names, (int)rank, cmd, name, *port ? port : NULL, *t ? t : NULL,
                        loop_now_ms(), name_answer, j);
        free(cmd);
        free(name);
        free(port);
        free(t);
        if (!ok) bad_frame(j, c, "name service");
        return;
    }
    case W_FENCE_IN: {
        uint32_t n = wread_u32(&r);
        if (r.bad || n > len / 8) return bad_frame(j, c, "fence");
        for (uint32_t i = 0; i < n && !r.bad; i++) {
            size_t kl, vl;
            const char *k = wread_bytes(&r, &kl), *v = wread_bytes(&r, &vl);
            if (!r.bad && kl && kl <= 256 && vl <= 1024 && !memchr(k, 0, kl) && !memchr(v, 0, vl))
                epoch_add(j, k, kl, v, vl);
        }
        if (!wread_done(&r) || c->fence_in) return bad_frame(j, c, "fence");
        c->fence_in = 1;
        check_fence(j);
        check_barrier(j);
        return;
    }
    default:
        return bad_frame(j, c, "unknown");
    }
}

static void on_ready(void *ctx, struct tree_child *c)
{
    struct job *j = ctx;
    struct wbuf b;
    jobspec_encode(j->spec, &b);
    tree_send(&j->tree, c, &b);
    wbuf_free(&b);
    /* A fence some ranks entered before this agent came stays open. */
}

static void on_gone(void *ctx, struct tree_child *c, const char *why)
{
    struct job *j = ctx;
    int left = 0;
    for (int r = 0; r < j->np; r++)
        if (!j->ended[r] && in_subtree(j, c, r)) left++;
    if (!left) { /* it finished */
        check_fence(j);
        return;
    }
    if (!j->ending)
        ferry_report("lost the agent on host %s (%d rank%s not ended): %s", c->host, left,
                     left == 1 ? "" : "s", why);
    fail_job(j, 1);
    /* Those ranks are beyond reach: their agents end them on their own. */
    for (int r = 0; r < j->np; r++)
        if (!j->ended[r] && in_subtree(j, c, r)) {
            j->ended[r] = 1;
            j->nended++;
        }
}

static void on_diag(void *ctx, struct tree_child *c, const char *p, size_t len)
{
    struct job *j = ctx;
    char tag[300];
    snprintf(tag, sizeof tag, "ferryd@%s: ", c->host);
    int mid = 0;
    io_emit(&j->sink_err, tag, strlen(tag), &mid, p, len);
}

static void on_log(void *ctx, const char *msg)
{
    ferry_report("%s", msg);
}

/* --- signals, timers, the loop --- */

static void reap(struct job *j)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
        if (!ranks_reaped(&j->local, pid, st) && j->has_tree) tree_reaped(&j->tree, pid, st);
}

static void on_signal(struct job *j, int sig)
{
    char desc[96];
    if (sig == SIGCHLD) {
        reap(j);
        return;
    }
    ferry_report("caught %s, ending the job", ferry_signal_desc(sig, desc, sizeof desc));
    decide(j, 128 + sig);
    if (j->ending) {
        signal_all(j, SIGKILL); /* asked twice: no more grace */
        j->kill_at = 0;
    } else {
        end_ranks(j, sig); /* the ranks get the very signal ferryrun got */
    }
}

static void read_signals(struct job *j)
{
    struct signalfd_siginfo si[16];
    ssize_t n;
    while ((n = read(j->sigfd, si, sizeof si)) > 0)
        for (size_t k = 0; k < (size_t)n / sizeof si[0]; k++) on_signal(j, (int)si[k].ssi_signo);
}

static void on_sigfd(void *ctx, int arg, short revents)
{
    struct job *j = ctx;
    j->sig_ready = 1; /* after the data, so a dead rank's last words come first */
}

static int running(const struct job *j)
{
    return j->local.nrunning + (j->has_tree ? tree_active(&j->tree) : 0);
}

static void on_timers(struct job *j, int64_t now)
{
    if (j->deadline && now >= j->deadline && running(j) && !j->ending) {
        ferry_report("job exceeded --timeout %d s", j->cfg->timeout_s);
        fail_job(j, 124);
    }
    if (j->kill_at && now >= j->kill_at) {
        signal_all(j, SIGKILL);
        j->kill_at = 0;
    }
    if (j->has_tree) tree_tick(&j->tree, now);
    if (j->names) names_expire(j->names, now, name_answer, j);
    if (j->local.pmi) pmi_server_tick(j->local.pmi);
    if (!running(j) && !j->drain_end) j->drain_end = now + DRAIN_GRACE_MS;
}

static void loop(struct job *j)
{
    struct loop *l = &j->loop;
    for (;;) {
        int64_t now = loop_now_ms();
        on_timers(j, now);
        if (!running(j) && (now >= j->drain_end || (!ranks_streams_open(&j->local) &&
                                                    (!j->has_tree || tree_running(&j->tree) == 0))))
            break;
        loop_begin(l);
        loop_add(l, j->sigfd, POLLIN, on_sigfd, j, 0);
        ranks_watch(&j->local, l);
        if (j->has_tree) tree_watch(&j->tree, l);
        if (j->deadline && !j->ending) loop_timer(l, j->deadline);
        if (j->kill_at) loop_timer(l, j->kill_at);
        if (j->drain_end) loop_timer(l, j->drain_end);
        int64_t lookup = j->names       ? names_next_deadline(j->names)
                         : j->local.pmi ? pmi_server_next_deadline(j->local.pmi)
                                        : -1;
        if (lookup >= 0) loop_timer(l, lookup);
        if (loop_run(l) != 0) {
            ferry_report("poll failed: %s", strerror(errno));
            fail_job(j, 1);
            signal_all(j, SIGKILL);
            break;
        }
        check_barrier(j);
        if (j->sig_ready) {
            j->sig_ready = 0;
            read_signals(j);
        }
    }
}

/* Signals arrive through a signalfd only; children get the old mask back.
 * A signal ferryrun was started with ignored (nohup, "&" in a script) stays
 * ignored, as with any program. */
static int setup_signals(struct job *j)
{
    static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP};
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) {
        struct sigaction sa;
        if (sigaction(forwarded[i], NULL, &sa) == 0 && sa.sa_handler != SIG_IGN)
            sigaddset(&set, forwarded[i]);
    }
    if (sigprocmask(SIG_BLOCK, &set, &j->cfg->spawn.sigmask) != 0) return -1;
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is handled where written */
    j->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return j->sigfd < 0 ? -1 : 0;
}

static int start_local(struct job *j)
{
    struct job_config *c = j->cfg;
    for (int i = 0; i < j->local.n; i++) {
        char err[512];
        if (ranks_start(&j->local, i, &c->spawn, err, sizeof err) != 0) {
            ferry_report("%s", err);
            return -1;
        }
        int rank = j->local.r[i].rank;
        j->pid[rank] = j->local.r[i].pid;
        if (c->verbose) {
            char where[160] = "not bound", h[300];
            if (c->spawn.bind) bind_plan_describe(c->spawn.bind, i, where, sizeof where);
            ferry_report("rank %d: pid %d%s, %s", rank, (int)j->local.r[i].pid,
                         on_host(j, rank, h, sizeof h), where);
        }
    }
    return 0;
}

static void job_free(struct job *j)
{
    ranks_fini(&j->local);
    if (j->has_tree) tree_fini(&j->tree);
    for (size_t i = 0; i < j->nepoch; i++) {
        free(j->epoch[i].key);
        free(j->epoch[i].val);
    }
    free(j->epoch);
    kvs_destroy(j->store);
    names_destroy(j->names);
    loop_free(&j->loop);
    if (j->sigfd >= 0) close(j->sigfd);
    free(j->pid);
    free(j->ended);
    free(j->mid);
}

int job_run(struct job_config *cfg)
{
    const struct jobspec *spec = cfg->spec;
    struct job j = {.cfg = cfg, .spec = spec, .np = spec->map.np, .sigfd = -1};
    int me = spec->tree_node[0];
    j.multi = spec->ntree > 1;
    j.sink_out.fd = STDOUT_FILENO;
    j.sink_err.fd = STDERR_FILENO;
    j.pid = calloc((size_t)j.np, sizeof *j.pid);
    j.ended = calloc((size_t)j.np, 1);
    j.mid = calloc((size_t)j.np, sizeof *j.mid);
    j.store = kvs_create();
    if (j.multi) j.names = names_create(j.np);
    struct ranks_hooks hooks = {.ctx = &j,
                                .on_exit = on_local_exit,
                                .on_abort = on_abort,
                                .on_bad_request = on_bad_request,
                                .on_put = j.multi ? on_local_put : NULL,
                                .on_barrier = j.multi ? on_local_barrier : NULL,
                                .on_name = j.multi ? on_local_name : NULL};
    int nlocal = me >= 0 ? spec->map.count[me] : 0;
    if (!j.pid || !j.ended || !j.mid || !j.store || (j.multi && !j.names) ||
        ranks_init(&j.local, nlocal, me >= 0 ? spec->map.ranks[me] : NULL, j.np, spec->kvsname,
                   spec->mapping, &j.sink_out, &j.sink_err, cfg->tag_output, &hooks) != 0) {
        ferry_report("out of memory");
        job_free(&j);
        return 1;
    }
    if (setup_signals(&j) != 0) {
        ferry_report("cannot set up the job: %s", strerror(errno));
        job_free(&j);
        return 1;
    }
    size_t seg_size = 0;
    int shm_fd = -1;
    if (nlocal) {
        int rc = shm_segment_create(nlocal, &shm_fd, &seg_size);
        if (rc != 0) {
            ferry_report("cannot create the node's shared segment for %d ranks: %s", nlocal,
                         shm_segment_error());
            job_free(&j);
            return 1;
        }
    }
    cfg->spawn.shm_fd = shm_fd;
    if (cfg->verbose) {
        if (!j.multi)
            ferry_report("job of %d ranks of %s, KVS %s, shared segment %zu bytes, binding %s",
                         j.np, cfg->spawn.path, spec->kvsname, seg_size,
                         cfg->spawn.bind ? "core" : "none");
        else
            ferry_report("job of %d ranks of %s on %d hosts (%d here, %d through agents with "
                         "fan-out %d), KVS %s",
                         j.np, cfg->spawn.path, spec->map.nnodes, nlocal, spec->ntree - 1,
                         spec->fanout, spec->kvsname);
    }
    if (cfg->timeout_s) j.deadline = loop_now_ms() + (int64_t)cfg->timeout_s * 1000;

    if (spec->ntree > 1) {
        char secret[WIRE_SECRET + 1], err[512];
        struct tree_hooks th = {.ctx = &j,
                                .on_ready = on_ready,
                                .on_frame = on_frame,
                                .on_gone = on_gone,
                                .on_diag = on_diag,
                                .log = on_log};
        j.has_tree = 1;
        if (tree_make_secret(secret) != 0) {
            ferry_report("cannot make the job's secret: %s", strerror(errno));
            fail_job(&j, 1);
        } else if (tree_start(&j.tree, 0, spec, secret, &th, err, sizeof err) != 0) {
            ferry_report("%s", err);
            fail_job(&j, 1);
        }
        memset(secret, 0, sizeof secret);
    }
    if (!j.ending && start_local(&j) != 0) fail_job(&j, 1);
    if (shm_fd >= 0) close(shm_fd); /* the ranks hold it now */
    loop(&j);

    if (j.has_tree) tree_signal(&j.tree, SIGTERM); /* launcher commands that linger */
    int status = j.failed ? j.status : 0;
    job_free(&j);
    if (cfg->verbose) ferry_report("job ended, exit status %d", status);
    return status;
}
