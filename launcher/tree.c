#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher/net.h"
#include "launcher/tree.h"

int tree_make_secret(char out[WIRE_SECRET + 1])
{
    unsigned char raw[WIRE_SECRET / 2];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof raw; i++) snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* Equal secrets, in time independent of where they differ. */
static int secret_equal(const char *a, const char *b, size_t n)
{
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++) d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static void diag_put(void *ctx, int i, int stream, const char *p, size_t len)
{
    struct tree *tr = ctx;
    if (tr->hooks.on_diag) tr->hooks.on_diag(tr->hooks.ctx, &tr->c[i], p, len);
}

static void gone(struct tree *tr, struct tree_child *c, const char *why)
{
    if (c->gone) return;
    c->gone = 1;
    link_close(&c->link, why);
    if (c->stdin_fd >= 0) close(c->stdin_fd);
    c->stdin_fd = -1;
    tr->hooks.on_gone(tr->hooks.ctx, c, why);
}

/* fork/exec the launcher command: CMD... HOST FERRYD --connect A --port P
 * --index T, the secret on its stdin. */
static int launch(struct tree *tr, struct tree_child *c, char *err, size_t errlen)
{
    const struct jobspec *j = tr->job;
    char addrs[1024], port[16], index[16];
    if (net_callback_addrs(c->host, addrs, sizeof addrs) != 0) {
        snprintf(err, errlen, "cannot list this machine's addresses for host %s", c->host);
        return -1;
    }
    snprintf(port, sizeof port, "%d", tr->port);
    snprintf(index, sizeof index, "%d", c->t);
    int nexec = 0;
    while (j->exec_argv[nexec]) nexec++;
    char **argv = calloc((size_t)nexec + 9, sizeof *argv);
    if (!argv) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int k = 0;
    for (int i = 0; i < nexec; i++) argv[k++] = j->exec_argv[i];
    argv[k++] = (char *)c->host;
    argv[k++] = j->ferryd;
    argv[k++] = "--connect";
    argv[k++] = addrs;
    argv[k++] = "--port";
    argv[k++] = port;
    argv[k++] = "--index";
    argv[k++] = index;
    argv[k] = NULL;

    int in[2] = {-1, -1}, out[2] = {-1, -1}, er[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(er, O_CLOEXEC)) {
        snprintf(err, errlen, "cannot make pipes for the agent on %s: %s", c->host,
                 strerror(errno));
        goto fail;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot fork the agent for %s: %s", c->host, strerror(errno));
        goto fail;
    }
    if (pid == 0) {
        setpgid(0, 0);
        /* The agent ends its ranks when we go: SIGTERM reaches it through
         * ip netns exec; ssh closes the session. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(127);
        signal(SIGPIPE, SIG_DFL);
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(er[1], 2) < 0) _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvp(argv[0], argv);
        dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    free(argv);
    close(in[0]);
    close(out[1]);
    close(er[1]);
    c->pid = pid;
    c->running = 1;
    c->stdin_fd = in[1];
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
    fcntl(er[0], F_SETFL, fcntl(er[0], F_GETFL) | O_NONBLOCK);
    int i = (int)(c - tr->c);
    if (io_stream_init(&c->out, out[0], &tr->diag, i, "stdout", 0) ||
        io_stream_init(&c->err, er[0], &tr->diag, i, "stderr", 0)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* The secret, then the pipe stays open: its end tells the agent we are
     * gone. A pipe holds far more than one line, so this never blocks. */
    char line[WIRE_SECRET + 2];
    snprintf(line, sizeof line, "%s\n", tr->secret);
    if (write(c->stdin_fd, line, strlen(line)) != (ssize_t)strlen(line)) {
        snprintf(err, errlen, "cannot hand the secret to the agent on %s: %s", c->host,
                 strerror(errno));
        return -1;
    }
    return 0;
fail:
    free(argv);
    for (int x = 0; x < 2; x++) {
        if (in[x] >= 0) close(in[x]);
        if (out[x] >= 0) close(out[x]);
        if (er[x] >= 0) close(er[x]);
    }
    return -1;
}

int tree_start(struct tree *tr, int self, const struct jobspec *job, const char *secret,
               const struct tree_hooks *hooks, char *err, size_t errlen)
{
    memset(tr, 0, sizeof *tr);
    tr->self = self;
    tr->job = job;
    tr->listen_fd = -1;
    tr->hooks = *hooks;
    snprintf(tr->secret, sizeof tr->secret, "%s", secret);
    tr->diag = (struct io_sink){.fd = -1, .put = diag_put, .ctx = tr};
    int first = self * job->fanout + 1;
    int last = first + job->fanout - 1 < job->ntree - 1 ? first + job->fanout - 1 : job->ntree - 1;
    if (first > last) return 0;
    tr->c = calloc((size_t)(last - first + 1), sizeof *tr->c);
    if (!tr->c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    tr->listen_fd = net_listen(&tr->port);
    if (tr->listen_fd < 0) {
        snprintf(err, errlen, "cannot listen for node agents: %s", strerror(errno));
        return -1;
    }
    int64_t now = loop_now_ms();
    for (int t = first; t <= last; t++) {
        struct tree_child *c = &tr->c[tr->nc++];
        c->t = t;
        c->node = job->tree_node[t];
        c->host = job->map.name[c->node];
        c->stdin_fd = -1;
        c->out.fd = c->err.fd = -1;
        c->link.fd = -1;
        c->started = now;
        if (launch(tr, c, err, errlen) != 0) return -1;
    }
    return 0;
}

static struct tree_child *child_of(struct tree *tr, uint32_t t)
{
    for (int i = 0; i < tr->nc; i++)
        if ((uint32_t)tr->c[i].t == t) return &tr->c[i];
    return NULL;
}

static void refuse(struct tree *tr, struct pending_conn *p, const char *why)
{
    char msg[256];
    snprintf(msg, sizeof msg, "refused a launcher connection from %s: %s", p->peer, why);
    if (tr->hooks.log && !p->refused) tr->hooks.log(tr->hooks.ctx, msg);
    p->refused = 1;
    link_close(&p->link, why);
}

struct pending_frame {
    struct tree *tr;
    struct pending_conn *p;
};

static void pending_frame(void *ctx, uint16_t type, const uint8_t *body, size_t len)
{
    struct pending_frame *pf = ctx;
    struct tree *tr = pf->tr;
    struct pending_conn *p = pf->p;
    if (p->child >= 0) { /* already authenticated: frames that came along */
        tr->hooks.on_frame(tr->hooks.ctx, &tr->c[p->child], type, body, len);
        return;
    }
    if (type != W_HELLO) {
        refuse(tr, p, "it did not introduce itself");
        return;
    }
    struct wread r;
    wread_init(&r, body, len);
    uint32_t version = wread_u32(&r), t = wread_u32(&r);
    size_t n;
    const char *secret = wread_bytes(&r, &n);
    struct tree_child *c = child_of(tr, t);
    if (!wread_done(&r))
        refuse(tr, p, "a malformed introduction");
    else if (version != WIRE_VERSION)
        refuse(tr, p, "another version of Ferry");
    else if (n != WIRE_SECRET || !secret_equal(secret, tr->secret, WIRE_SECRET))
        refuse(tr, p, "wrong secret");
    else if (!c || c->connected || c->gone)
        refuse(tr, p, "not an agent this launcher waits for");
    else {
        p->child = (int)(c - tr->c);
        c->connected = 1;
    }
}

static void on_pending(void *ctx, int i, short revents)
{
    struct tree *tr = ctx;
    struct pending_conn *p = &tr->pend[i];
    struct pending_frame pf = {tr, p};
    link_read(&p->link, pending_frame, &pf, loop_now_ms());
    if (p->child < 0) {
        if (p->link.fd < 0) refuse(tr, p, p->link.why); /* EOF or a bad frame before hello */
        return;
    }
    /* Authenticated: the link now belongs to the child. */
    struct tree_child *c = &tr->c[p->child];
    c->link = p->link;
    c->link.max_frame = WIRE_FRAME_MAX;
    p->link = (struct link){.fd = -1};
    p->child = -1;
    if (c->link.fd < 0) {
        gone(tr, c, c->link.why);
        return;
    }
    /* Every agent is in: nobody else has anything to connect for. */
    int waiting = 0;
    for (int k = 0; k < tr->nc; k++) waiting += !tr->c[k].connected && !tr->c[k].gone;
    if (!waiting && tr->listen_fd >= 0) {
        close(tr->listen_fd);
        tr->listen_fd = -1;
    }
    tr->hooks.on_ready(tr->hooks.ctx, c);
}

/* Room for strangers' connections besides the agents this launcher waits
 * for: each costs a link until it introduces itself or times out. */
#define PEND_SPARE 64

/* A free slot in the waiting room. When it is full, first hear out everyone
 * in it (an agent's introduction may be there already), then turn away the
 * connection that has waited longest: strangers that connect and say
 * nothing cannot keep an agent out by filling the room, and the room
 * cannot grow without end. */
static struct pending_conn *pend_slot(struct tree *tr)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < tr->npend; i++)
            if (tr->pend[i].link.fd < 0) return &tr->pend[i];
        if (tr->npend < tr->nc + PEND_SPARE) {
            struct pending_conn *p = realloc(tr->pend, (size_t)(tr->npend + 1) * sizeof *p);
            if (p) {
                tr->pend = p;
                p = &p[tr->npend++];
                memset(p, 0, sizeof *p);
                p->link.fd = -1;
                return p;
            }
        }
        if (pass == 0)
            for (int i = 0; i < tr->npend; i++)
                if (tr->pend[i].link.fd >= 0) on_pending(tr, i, POLLIN);
    }
    struct pending_conn *oldest = NULL;
    for (int i = 0; i < tr->npend; i++)
        if (tr->pend[i].link.fd >= 0 && (!oldest || tr->pend[i].since < oldest->since))
            oldest = &tr->pend[i];
    if (oldest) refuse(tr, oldest, "too many connections waiting; this one waited longest");
    return oldest;
}

static void on_accept(void *ctx, int arg, short revents)
{
    struct tree *tr = ctx;
    while (tr->listen_fd >= 0) {
        int fd = accept4(tr->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;
        char peer[64];
        net_peer_name(fd, peer, sizeof peer);
        struct pending_conn *p = pend_slot(tr);
        if (!p) { /* out of memory */
            char msg[160];
            snprintf(msg, sizeof msg, "refused a launcher connection from %s: out of memory", peer);
            if (tr->hooks.log) tr->hooks.log(tr->hooks.ctx, msg);
            close(fd);
            continue;
        }
        link_free(&p->link);
        memset(p, 0, sizeof *p);
        link_init(&p->link, fd, loop_now_ms());
        snprintf(p->peer, sizeof p->peer, "%s", peer);
        p->since = loop_now_ms();
        p->child = -1;
    }
}

struct child_frame {
    struct tree *tr;
    struct tree_child *c;
};

/* Frames from a connected child go to the hook. */
static void child_frame(void *ctx, uint16_t type, const uint8_t *body, size_t len)
{
    struct child_frame *f = ctx;
    f->tr->hooks.on_frame(f->tr->hooks.ctx, f->c, type, body, len);
}

static void on_child_link(void *ctx, int i, short revents)
{
    struct tree *tr = ctx;
    struct tree_child *c = &tr->c[i];
    int64_t now = loop_now_ms();
    if (revents & POLLOUT) link_flush(&c->link, now);
    if (c->link.fd >= 0 && (revents & (POLLIN | POLLHUP | POLLERR))) {
        struct child_frame f = {tr, c};
        link_read(&c->link, child_frame, &f, now);
    }
    if (c->link.fd < 0) gone(tr, c, c->link.why);
}

static void on_diag_out(void *ctx, int i, short revents)
{
    struct tree *tr = ctx;
    io_stream_pump(&tr->c[i].out);
}

static void on_diag_err(void *ctx, int i, short revents)
{
    struct tree *tr = ctx;
    io_stream_pump(&tr->c[i].err);
}

void tree_watch(struct tree *tr, struct loop *l)
{
    if (tr->listen_fd >= 0 && tree_active(tr)) loop_add(l, tr->listen_fd, POLLIN, on_accept, tr, 0);
    for (int i = 0; i < tr->npend; i++) {
        if (tr->pend[i].link.fd < 0) continue;
        loop_add(l, tr->pend[i].link.fd, POLLIN, on_pending, tr, i);
        loop_timer(l, tr->pend[i].since + TREE_HELLO_MS);
    }
    for (int i = 0; i < tr->nc; i++) {
        struct tree_child *c = &tr->c[i];
        loop_add(l, c->out.fd, POLLIN, on_diag_out, tr, i);
        loop_add(l, c->err.fd, POLLIN, on_diag_err, tr, i);
        if (c->link.fd >= 0) {
            loop_add(l, c->link.fd, POLLIN | (link_backlog(&c->link) ? POLLOUT : 0), on_child_link,
                     tr, i);
            loop_timer(l, link_next_tick(&c->link));
        } else if (!c->connected && !c->gone) {
            loop_timer(l, c->started + TREE_CONNECT_MS);
        }
    }
}

void tree_tick(struct tree *tr, int64_t now)
{
    for (int i = 0; i < tr->npend; i++) {
        struct pending_conn *p = &tr->pend[i];
        if (p->link.fd >= 0 && now - p->since >= TREE_HELLO_MS)
            refuse(tr, p, "it did not introduce itself in time");
    }
    for (int i = 0; i < tr->nc; i++) {
        struct tree_child *c = &tr->c[i];
        if (c->gone) continue;
        if (c->connected) {
            if (link_tick(&c->link, now) < 0) gone(tr, c, c->link.why);
        } else if (now - c->started >= TREE_CONNECT_MS) {
            char why[96];
            snprintf(why, sizeof why, "its agent did not connect within %d s",
                     TREE_CONNECT_MS / 1000);
            gone(tr, c, why);
        }
    }
}

int tree_reaped(struct tree *tr, pid_t pid, int status)
{
    for (int i = 0; i < tr->nc; i++) {
        struct tree_child *c = &tr->c[i];
        if (c->pid != pid || !c->running) continue;
        c->running = 0;
        c->status = status;
        io_stream_drain(&c->out);
        io_stream_drain(&c->err);
        if (!c->connected && !c->gone) {
            char why[160];
            if (WIFEXITED(status))
                snprintf(why, sizeof why, "'%s' exited with code %d before the agent connected",
                         tr->job->exec_argv[0], WEXITSTATUS(status));
            else
                snprintf(why, sizeof why, "'%s' was killed by signal %d before the agent connected",
                         tr->job->exec_argv[0], WTERMSIG(status));
            gone(tr, c, why);
        }
        return 1;
    }
    return 0;
}

void tree_send(struct tree *tr, struct tree_child *c, struct wbuf *b)
{
    if (c->gone || !c->connected) return;
    if (link_send(&c->link, b, loop_now_ms()) < 0) gone(tr, c, c->link.why);
}

void tree_broadcast(struct tree *tr, struct wbuf *b)
{
    for (int i = 0; i < tr->nc; i++) tree_send(tr, &tr->c[i], b);
}

int tree_active(const struct tree *tr)
{
    int n = 0;
    for (int i = 0; i < tr->nc; i++) n += !tr->c[i].gone;
    return n;
}

int tree_running(const struct tree *tr)
{
    int n = 0;
    for (int i = 0; i < tr->nc; i++) n += tr->c[i].running;
    return n;
}

void tree_signal(struct tree *tr, int sig)
{
    for (int i = 0; i < tr->nc; i++)
        if (tr->c[i].running) kill(-tr->c[i].pid, sig);
}

int tree_flushed(const struct tree *tr)
{
    for (int i = 0; i < tr->nc; i++)
        if (tr->c[i].link.fd >= 0 && link_backlog(&tr->c[i].link)) return 0;
    return 1;
}

void tree_fini(struct tree *tr)
{
    for (int i = 0; i < tr->npend; i++) link_free(&tr->pend[i].link);
    for (int i = 0; i < tr->nc; i++) {
        struct tree_child *c = &tr->c[i];
        link_free(&c->link);
        if (c->stdin_fd >= 0) close(c->stdin_fd);
        io_stream_close(&c->out);
        io_stream_close(&c->err);
        io_stream_free(&c->out);
        io_stream_free(&c->err);
    }
    if (tr->listen_fd >= 0) close(tr->listen_fd);
    free(tr->pend);
    free(tr->c);
    memset(tr, 0, sizeof *tr);
    tr->listen_fd = -1;
}
