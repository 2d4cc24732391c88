#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher/agent.h"
#include "launcher/bind.h"
#include "launcher/loop.h"
#include "launcher/ranks.h"
#include "launcher/tree.h"
#include "transports/shm/segment.h"

#define KILL_GRACE_MS  1000
#define DRAIN_GRACE_MS 1000
/* After its parent is gone, an agent waits this long for its ranks. */
#define ORPHAN_GRACE_MS 3000

struct agent {
    const struct jobspec *spec;
    int t, node;
    const char *host;
    struct link *up;
    int stdin_open;
    struct node_ranks local;
    struct tree tree;
    struct io_sink sink_out, sink_err;
    int sigfd;
    char *ended; /* [np]: ranks of the subtree that ended (or were lost) */
    int ending, orphan;
    int64_t kill_at, drain_end, orphan_end;
    /* The fence: this node's and the subtree's puts, until sent up. */
    struct wbuf epoch;
    uint32_t nepoch;
    int local_in, sent_up;
    struct loop loop;
    char node_id[16];
};

static void send_up(struct agent *a, struct wbuf *b)
{
    if (a->orphan || b->oom) return;
    link_send(a->up, b, loop_now_ms());
}

static void report(struct agent *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct agent *a, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (a->orphan || a->up->fd < 0) {
        /* Whoever started us reads our stderr and tags it with our host. */
        fprintf(stderr, "%s\n", text);
        return;
    }
    struct wbuf b;
    wbuf_start(&b, W_ERROR);
    wbuf_str(&b, a->host);
    wbuf_str(&b, text);
    wbuf_finish(&b);
    send_up(a, &b);
    wbuf_free(&b);
}

/* Whether rank runs in this agent's subtree (its node included). */
static int in_subtree(const struct agent *a, int rank)
{
    return jobspec_in_subtree(a->spec, a->t, rank);
}

static void mark_ended(struct agent *a, int rank)
{
    if (rank < 0 || rank >= a->spec->map.np || a->ended[rank] || !in_subtree(a, rank)) return;
    a->ended[rank] = 1;
}

static void kill_all(struct agent *a, int sig)
{
    ranks_signal(&a->local, sig);
    struct wbuf b;
    wbuf_start(&b, W_KILL);
    wbuf_u32(&b, (uint32_t)sig);
    wbuf_finish(&b);
    tree_broadcast(&a->tree, &b);
    wbuf_free(&b);
}

static void end_ranks(struct agent *a, int sig)
{
    kill_all(a, sig);
    if (!a->ending && sig != SIGKILL) a->kill_at = loop_now_ms() + KILL_GRACE_MS;
    a->ending = 1;
}

/* The parent is gone: end everything here and below, then leave. */
static void orphaned(struct agent *a, const char *why)
{
    if (a->orphan) return;
    fprintf(stderr, "lost ferryrun (%s): ending this node's ranks\n", why);
    a->orphan = 1;
    a->orphan_end = loop_now_ms() + ORPHAN_GRACE_MS;
    end_ranks(a, SIGTERM);
    link_close(a->up, why);
    /* Closing the children's links makes them do the same. */
    for (int i = 0; i < a->tree.nc; i++) link_close(&a->tree.c[i].link, "parent lost");
}

/* --- this node's ranks --- */

static void out_put(void *ctx, int rank, int stream, const char *p, size_t len)
{
    struct agent *a = ctx;
    struct wbuf b;
    wbuf_start(&b, W_OUTPUT);
    wbuf_u32(&b, (uint32_t)rank);
    wbuf_u8(&b, (uint8_t)stream);
    wbuf_bytes(&b, p, len);
    wbuf_finish(&b);
    send_up(a, &b);
    wbuf_free(&b);
}

static int out_full(void *ctx)
{
    struct agent *a = ctx;
    return !a->orphan && link_backlog(a->up) > LINK_OUT_HIGH;
}

static void check_fence(struct agent *a);

static void on_exit_rank(void *ctx, int rank, pid_t pid, int status)
{
    struct agent *a = ctx;
    mark_ended(a, rank);
    /* Ended ranks count as in barriers: ferryrun tells everyone soon. */
    if (a->spec->no_abort) pmi_server_lenient(a->local.pmi);
    struct wbuf b;
    wbuf_start(&b, W_EXIT);
    wbuf_u32(&b, (uint32_t)rank);
    wbuf_u32(&b, (uint32_t)pid);
    wbuf_u32(&b, (uint32_t)status);
    wbuf_finish(&b);
    send_up(a, &b);
    wbuf_free(&b);
}

static void on_abort(void *ctx, int rank, long code, const char *msg)
{
    struct agent *a = ctx;
    struct wbuf b;
    wbuf_start(&b, W_ABORT);
    wbuf_u32(&b, (uint32_t)rank);
    wbuf_u32(&b, (uint32_t)code);
    wbuf_str(&b, msg ? msg : "");
    wbuf_finish(&b);
    send_up(a, &b);
    wbuf_free(&b);
}

static void on_bad(void *ctx, int rank, const char *what)
{
    struct agent *a = ctx;
    struct wbuf b;
    wbuf_start(&b, W_BAD_PMI);
    wbuf_u32(&b, (uint32_t)rank);
    wbuf_str(&b, what);
    wbuf_finish(&b);
    send_up(a, &b);
    wbuf_free(&b);
}

static void epoch_add(struct agent *a, const char *k, size_t kl, const char *v, size_t vl)
{
    wbuf_bytes(&a->epoch, k, kl);
    wbuf_bytes(&a->epoch, v, vl);
    a->nepoch++;
}

static void epoch_reset(struct agent *a)
{
    wbuf_free(&a->epoch);
    wbuf_start(&a->epoch, W_FENCE_IN);
    wbuf_u32(&a->epoch, 0); /* the count, filled in when sent */
    a->nepoch = 0;
}

static void on_put(void *ctx, const char *key, const char *val)
{
    struct agent *a = ctx;
    epoch_add(a, key, strlen(key), val, strlen(val));
}

/* Send the subtree's fence up once this node and every child are in. */
static void check_fence(struct agent *a)
{
    if (a->sent_up || (a->local.n && !a->local_in)) return;
    int any = a->local_in;
    for (int i = 0; i < a->tree.nc; i++) {
        struct tree_child *c = &a->tree.c[i];
        /* A finished subtree counts as in when ended ranks do. */
        if (!c->fence_in && !(a->spec->no_abort && c->gone)) return;
        any |= c->fence_in;
    }
    if (!any) return;
    uint32_t n = htonl(a->nepoch);
    memcpy(a->epoch.p + WIRE_HDR, &n, 4);
    wbuf_finish(&a->epoch);
    if (a->epoch.oom) report(a, "out of memory gathering a PMI fence");
    send_up(a, &a->epoch);
    epoch_reset(a);
    a->sent_up = 1;
}

static void on_name(void *ctx, int rank, const char *cmd, const char *name, const char *port,
                    const char *timeout_ms)
{
    struct agent *a = ctx;
    struct wbuf b;
    wbuf_start(&b, W_NAME_REQ);
    wbuf_u32(&b, (uint32_t)rank);
    wbuf_str(&b, cmd);
    wbuf_str(&b, name);
    wbuf_str(&b, port ? port : "");
    wbuf_str(&b, timeout_ms ? timeout_ms : "");
    wbuf_finish(&b);
    send_up(a, &b);
    wbuf_free(&b);
}

static void on_barrier(void *ctx)
{
    struct agent *a = ctx;
    a->local_in = 1;
    check_fence(a);
}

/* --- the parent --- */

static void fence_out(struct agent *a, const uint8_t *body, size_t len)
{
    struct wread r;
    wread_init(&r, body, len);
    uint32_t n = wread_u32(&r);
    for (uint32_t i = 0; i < n && !r.bad; i++) {
        char *k = wread_strdup(&r, 256), *v = wread_strdup(&r, 1024);
        if (k && v && a->local.pmi) pmi_server_kvs_put(a->local.pmi, k, v);
        free(k);
        free(v);
    }
    if (!wread_done(&r) || !a->sent_up) {
        report(a, "a malformed or unexpected fence from the parent");
        end_ranks(a, SIGTERM);
        return;
    }
    struct wbuf b;
    wbuf_start(&b, W_FENCE_OUT);
    wbuf_raw(&b, body, len);
    wbuf_finish(&b);
    tree_broadcast(&a->tree, &b);
    wbuf_free(&b);
    for (int i = 0; i < a->tree.nc; i++) a->tree.c[i].fence_in = 0;
    a->sent_up = 0;
    a->local_in = 0;
    if (a->local.pmi) pmi_server_barrier_release(a->local.pmi);
}

/* The child whose subtree runs rank, or NULL. */
static struct tree_child *route_to(struct agent *a, int rank)
{
    int t = jobspec_tree_of_node(a->spec, a->spec->map.node_of[rank]);
    int c = t > 0 ? tree_route(a->t, t, a->spec->fanout) : -1;
    for (int i = 0; c > 0 && i < a->tree.nc; i++)
        if (a->tree.c[i].t == c) return &a->tree.c[i];
    return NULL;
}

static void name_answer(struct agent *a, const uint8_t *body, size_t len)
{
    struct wread r;
    wread_init(&r, body, len);
    uint32_t rank = wread_u32(&r);
    char *cmd = wread_strdup(&r, 64), *rc = wread_strdup(&r, 8), *key = wread_strdup(&r, 64),
         *val = wread_strdup(&r, 1024);
    if (wread_done(&r) && rank < (uint32_t)a->spec->map.np) {
        if (ranks_local(&a->local, (int)rank) >= 0) {
            ranks_answer(&a->local, (int)rank, cmd, rc, *key ? key : NULL, val);
        } else {
            struct tree_child *c = route_to(a, (int)rank);
            struct wbuf b;
            wbuf_start(&b, W_NAME_ANS);
            wbuf_raw(&b, body, len);
            wbuf_finish(&b);
            if (c) tree_send(&a->tree, c, &b);
            wbuf_free(&b);
        }
    }
    free(cmd);
    free(rc);
    free(key);
    free(val);
}

static void rank_exited_elsewhere(struct agent *a, const uint8_t *body, size_t len)
{
    struct wread r;
    wread_init(&r, body, len);
    uint32_t rank = wread_u32(&r);
    if (!wread_done(&r) || rank >= (uint32_t)a->spec->map.np) return;
    if (a->local.pmi)
        pmi_server_announce_exit(a->local.pmi, ranks_local(&a->local, (int)rank), (int)rank);
    struct wbuf b;
    wbuf_start(&b, W_RANK_EXITED);
    wbuf_raw(&b, body, len);
    wbuf_finish(&b);
    tree_broadcast(&a->tree, &b);
    wbuf_free(&b);
}

static void parent_frame(void *ctx, uint16_t type, const uint8_t *body, size_t len)
{
    struct agent *a = ctx;
    struct wread r;
    wread_init(&r, body, len);
    if (type == W_FENCE_OUT) {
        fence_out(a, body, len);
    } else if (type == W_NAME_ANS) {
        name_answer(a, body, len);
    } else if (type == W_RANK_EXITED) {
        rank_exited_elsewhere(a, body, len);
    } else if (type == W_KILL) {
        uint32_t sig = wread_u32(&r);
        if (wread_done(&r) && sig > 0 && sig < 65) end_ranks(a, (int)sig);
    } else {
        report(a, "an unexpected message (type %u) from the parent", type);
    }
}

/* --- the children --- */

static void child_ready(void *ctx, struct tree_child *c)
{
    struct agent *a = ctx;
    struct wbuf b;
    jobspec_encode(a->spec, &b);
    tree_send(&a->tree, c, &b);
    wbuf_free(&b);
}

static void child_frame(void *ctx, struct tree_child *c, uint16_t type, const uint8_t *body,
                        size_t len)
{
    struct agent *a = ctx;
    struct wread r;
    wread_init(&r, body, len);
    if (type == W_FENCE_IN) {
        uint32_t n = wread_u32(&r);
        for (uint32_t i = 0; i < n && !r.bad; i++) {
            size_t kl, vl;
            const char *k = wread_bytes(&r, &kl), *v = wread_bytes(&r, &vl);
            if (!r.bad) epoch_add(a, k, kl, v, vl);
        }
        if (!wread_done(&r) || c->fence_in) {
            report(a, "a malformed fence from the agent on host %s", c->host);
            link_close(&c->link, "a malformed message");
            return;
        }
        c->fence_in = 1;
        check_fence(a);
        return;
    }
    if (type == W_EXIT) mark_ended(a, (int)wread_u32(&r));
    if (type < W_JOB) { /* reports travel up as they are; ferryrun checks them */
        struct wbuf b;
        wbuf_start(&b, (enum wire_type)type);
        wbuf_raw(&b, body, len);
        wbuf_finish(&b);
        send_up(a, &b);
        wbuf_free(&b);
    } else {
        report(a, "an unexpected message (type %u) from the agent on host %s", type, c->host);
        link_close(&c->link, "an unexpected message");
    }
}

static int child_left(struct agent *a, const struct tree_child *c)
{
    int n = 0;
    for (int r = 0; r < a->spec->map.np; r++)
        n += !a->ended[r] && jobspec_in_subtree(a->spec, c->t, r);
    return n;
}

static void child_gone(void *ctx, struct tree_child *c, const char *why)
{
    struct agent *a = ctx;
    int left = child_left(a, c);
    if (!left) {
        check_fence(a);
        return;
    }
    if (!a->ending && !a->orphan)
        report(a, "lost the agent on host %s (%d rank%s not ended): %s", c->host, left,
               left == 1 ? "" : "s", why);
    for (int r = 0; r < a->spec->map.np; r++)
        if (jobspec_in_subtree(a->spec, c->t, r)) mark_ended(a, r);
}

static void child_diag(void *ctx, struct tree_child *c, const char *p, size_t len)
{
    struct agent *a = ctx;
    /* Prefix each line with where it comes from, send it up as an agent's
     * own words. */
    char tag[300];
    int tl = snprintf(tag, sizeof tag, "ferryd@%s: ", c->host);
    struct wbuf b;
    wbuf_start(&b, W_OUTPUT);
    wbuf_u32(&b, UINT32_MAX);
    wbuf_u8(&b, 2);
    struct wbuf text = {0};
    for (const char *q = p, *end = p + len; q < end;) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        const char *stop = nl ? nl + 1 : end;
        wbuf_raw(&text, tag, (size_t)tl);
        wbuf_raw(&text, q, (size_t)(stop - q));
        q = stop;
    }
    if (text.len && text.p[text.len - 1] != '\n') wbuf_raw(&text, "\n", 1);
    wbuf_bytes(&b, text.p, text.len);
    wbuf_finish(&b);
    send_up(a, &b);
    wbuf_free(&b);
    wbuf_free(&text);
}

/* The parent reads our stderr and tags each line with our host. */
static void child_log(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "%s\n", msg);
}

/* --- the loop --- */

static void on_up(void *ctx, int arg, short revents)
{
    struct agent *a = ctx;
    int64_t now = loop_now_ms();
    if (revents & POLLOUT) link_flush(a->up, now);
    if (a->up->fd >= 0 && (revents & (POLLIN | POLLHUP | POLLERR)))
        link_read(a->up, parent_frame, a, now);
    if (a->up->fd < 0) orphaned(a, a->up->why);
}

static void on_stdin(void *ctx, int arg, short revents)
{
    struct agent *a = ctx;
    char buf[256];
    ssize_t n = read(0, buf, sizeof buf);
    if (n > 0 || (n < 0 && errno == EINTR)) return;
    a->stdin_open = 0;
    orphaned(a, "its standard input closed");
}

static void on_signal(void *ctx, int arg, short revents)
{
    struct agent *a = ctx;
    struct signalfd_siginfo si[16];
    ssize_t n;
    while ((n = read(a->sigfd, si, sizeof si)) > 0)
        for (size_t k = 0; k < (size_t)n / sizeof si[0]; k++) {
            int sig = (int)si[k].ssi_signo;
            if (sig == SIGCHLD) {
                int st;
                pid_t pid;
                while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
                    if (!ranks_reaped(&a->local, pid, st)) tree_reaped(&a->tree, pid, st);
            } else {
                orphaned(a, sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "SIGINT");
            }
        }
}

static int done(struct agent *a, int64_t now)
{
    if (a->local.nrunning || tree_active(&a->tree)) {
        if (!a->orphan || now < a->orphan_end) return 0;
        ranks_signal(&a->local, SIGKILL); /* no more waiting */
        return 1;
    }
    if (!a->drain_end) a->drain_end = now + DRAIN_GRACE_MS;
    if (now >= a->drain_end) return 1;
    if (ranks_streams_open(&a->local) || tree_running(&a->tree)) return 0;
    return a->orphan || link_backlog(a->up) == 0;
}

static void check_stuck(struct agent *a)
{
    int waiter, missing;
    pid_t pid;
    if (a->ending || a->spec->no_abort || !ranks_barrier_stuck(&a->local, &waiter, &missing, &pid))
        return;
    report(a, "rank %d waits in a PMI barrier that rank %d (pid %d) can never join: it has exited",
           waiter, missing, (int)pid);
    end_ranks(a, SIGTERM);
}

static void run(struct agent *a)
{
    struct loop *l = &a->loop;
    for (;;) {
        int64_t now = loop_now_ms();
        if (a->kill_at && now >= a->kill_at) {
            kill_all(a, SIGKILL);
            a->kill_at = 0;
        }
        if (!a->orphan && a->up->fd >= 0 && link_tick(a->up, now) < 0) orphaned(a, a->up->why);
        tree_tick(&a->tree, now);
        if (done(a, now)) break;
        loop_begin(l);
        loop_add(l, a->sigfd, POLLIN, on_signal, a, 0);
        if (a->stdin_open) loop_add(l, 0, POLLIN, on_stdin, a, 0);
        if (a->up->fd >= 0) {
            loop_add(l, a->up->fd, POLLIN | (link_backlog(a->up) ? POLLOUT : 0), on_up, a, 0);
            loop_timer(l, link_next_tick(a->up));
        }
        ranks_watch(&a->local, l);
        tree_watch(&a->tree, l);
        if (a->kill_at) loop_timer(l, a->kill_at);
        if (a->drain_end) loop_timer(l, a->drain_end);
        if (a->orphan) loop_timer(l, a->orphan_end);
        if (loop_run(l) != 0) {
            report(a, "poll failed: %s", strerror(errno));
            ranks_signal(&a->local, SIGKILL);
            break;
        }
        check_stuck(a);
    }
}

static int start(struct agent *a, const char *secret, struct spawn_spec *sp,
                 struct bind_plan **plan)
{
    char err[512];
    struct tree_hooks th = {.ctx = a,
                            .on_ready = child_ready,
                            .on_frame = child_frame,
                            .on_gone = child_gone,
                            .on_diag = child_diag,
                            .log = child_log};
    if (tree_start(&a->tree, a->t, a->spec, secret, &th, err, sizeof err) != 0) {
        report(a, "%s", err);
        return -1;
    }
    int n = a->local.n, fatal;
    *plan = bind_plan_for(a->spec->bind, n, &fatal, err, sizeof err);
    if (fatal) {
        report(a, "--bind-to core: %s", err);
        return -1;
    }
    size_t seg;
    int rc = shm_segment_create(n, &sp->shm_fd, &seg);
    if (rc) {
        report(a, "cannot create the node's shared segment for %d ranks: %s", n,
               shm_segment_error());
        return -1;
    }
    sp->bind = *plan;
    sp->bind_required = a->spec->bind == JOB_BIND_CORE;
    rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        if (ranks_start(&a->local, i, sp, err, sizeof err) != 0) {
            report(a, "%s", err);
            rc = -1;
            break;
        }
        char where[160] = "not bound";
        if (*plan) bind_plan_describe(*plan, i, where, sizeof where);
        struct wbuf b;
        wbuf_start(&b, W_SPAWNED);
        wbuf_u32(&b, (uint32_t)a->local.r[i].rank);
        wbuf_u32(&b, (uint32_t)a->local.r[i].pid);
        wbuf_str(&b, where);
        wbuf_finish(&b);
        send_up(a, &b);
        wbuf_free(&b);
    }
    close(sp->shm_fd);
    return rc;
}

int agent_run(const struct jobspec *spec, int t, struct link *up, const char *secret)
{
    struct agent a = {.spec = spec, .t = t, .up = up, .stdin_open = 1, .sigfd = -1};
    a.node = spec->tree_node[t];
    a.host = spec->map.name[a.node];
    snprintf(a.node_id, sizeof a.node_id, "%d", a.node);
    a.sink_out = (struct io_sink){.fd = -1, .put = out_put, .ctx = &a, .full = out_full};
    a.sink_err = a.sink_out;
    a.ended = calloc((size_t)spec->map.np, 1);
    epoch_reset(&a);
    struct ranks_hooks hooks = {.ctx = &a,
                                .on_exit = on_exit_rank,
                                .on_abort = on_abort,
                                .on_bad_request = on_bad,
                                .on_put = on_put,
                                .on_barrier = on_barrier,
                                .on_name = on_name};
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, &old);
    signal(SIGPIPE, SIG_IGN);
    a.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    a.tree.listen_fd = -1;
    if (!a.ended || a.sigfd < 0 ||
        ranks_init(&a.local, spec->map.count[a.node], spec->map.ranks[a.node], spec->map.np,
                   spec->kvsname, spec->mapping, &a.sink_out, &a.sink_err, 0, &hooks) != 0) {
        report(&a, "cannot set up: %s", a.sigfd < 0 ? strerror(errno) : "out of memory");
        free(a.ended);
        return 1;
    }
    struct spawn_spec sp = {.path = spec->path,
                            .argv = spec->argv,
                            .env = spec->env,
                            .nenv = spec->nenv,
                            .size = spec->map.np,
                            .sigmask = old,
                            .verbose = spec->verbose,
                            .stdin_rank = -1,
                            .node_id = a.node_id,
                            .host = a.host};
    getrlimit(RLIMIT_NOFILE, &sp.nofile);
    struct bind_plan *plan = NULL;
    if (start(&a, secret, &sp, &plan) != 0) end_ranks(&a, SIGTERM);
    run(&a);
    /* Whatever is left goes now; what is queued up goes if it can. */
    ranks_signal(&a.local, SIGKILL);
    tree_signal(&a.tree, SIGTERM);
    for (int i = 0; i < 50 && !a.orphan && up->fd >= 0 && link_backlog(up); i++) {
        struct pollfd p = {.fd = up->fd, .events = POLLOUT};
        poll(&p, 1, 100);
        link_flush(up, loop_now_ms());
    }
    int status = a.orphan ? 1 : 0;
    ranks_fini(&a.local);
    tree_fini(&a.tree);
    bind_plan_destroy(plan);
    wbuf_free(&a.epoch);
    loop_free(&a.loop);
    close(a.sigfd);
    free(a.ended);
    return status;
}
