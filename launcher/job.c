/* The job's life. Everything happens in one poll() loop over a signalfd (for
 * SIGCHLD and the signals to forward), each rank's PMI socket and output
 * pipes, with timers as the poll timeout: no threads, no handlers.
 *
 * Failure rule: the first rank to exit non-zero, die by a signal or call
 * abort decides the exit status; every other rank then gets SIGTERM, and
 * SIGKILL one second later, sent to its process group. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launcher/bind.h"
#include "launcher/io.h"
#include "launcher/job.h"
#include "launcher/pmi_server.h"
#include "launcher/report.h"
#include "transports/shm/segment.h"

#define KILL_GRACE_MS  1000 /* SIGTERM, then SIGKILL after this */
#define DRAIN_GRACE_MS 1000 /* output still read after the last rank ended */

enum src { SRC_SIG, SRC_PMI, SRC_OUT, SRC_ERR };

struct poll_src {
    enum src src;
    int rank;
};

struct rank {
    pid_t pid; /* 0: not started */
    int running;
    struct io_stream out, err;
};

struct job {
    struct job_config *cfg;
    int size, nstarted, nrunning;
    struct rank *ranks;
    struct pmi_server *pmi;
    struct io_sink sink_out, sink_err;
    int sigfd;
    int failed; /* the exit status below is decided */
    int status;
    int ending;         /* ranks were told to stop */
    int64_t kill_at;    /* when to SIGKILL what still runs; 0: not pending */
    int64_t deadline;   /* --timeout; 0: none */
    int64_t drain_end;  /* stop reading output after this; 0: not yet */
    struct pollfd *pfd; /* the poll set, rebuilt each turn: 1 + 3 per rank */
    struct poll_src *src;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void signal_ranks(struct job *j, int sig)
{
    for (int i = 0; i < j->nstarted; i++)
        if (j->ranks[i].running) kill(-j->ranks[i].pid, sig);
}

/* Tell every running rank to stop with sig; SIGKILL follows. */
static void end_ranks(struct job *j, int sig)
{
    if (j->ending) return;
    j->ending = 1;
    j->kill_at = now_ms() + KILL_GRACE_MS;
    signal_ranks(j, sig);
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

static void remember_failure(struct job *j, int status)
{
    decide(j, status);
}

static void on_abort(void *ctx, int rank, long code, const char *msg)
{
    struct job *j = ctx;
    int status = (int)(code & 0xff);
    if (status == 0) status = 1;
    if (!j->failed) {
        if (msg)
            ferry_report("rank %d called abort (exit code %ld): %s", rank, code, msg);
        else
            ferry_report("rank %d called abort (exit code %ld)", rank, code);
    }
    fail_job(j, status);
}

static void on_bad_request(void *ctx, int rank, const char *what)
{
    ferry_report("rank %d sent a bad PMI request (%s); later ones are answered silently", rank,
                 what);
}

static void check_barrier(struct job *j)
{
    int waiter, missing;
    if (j->ending || !pmi_server_barrier_stuck(j->pmi, &waiter, &missing)) return;
    ferry_report("rank %d waits in a PMI barrier that rank %d (pid %d) can never join: it has "
                 "exited",
                 waiter, missing, (int)j->ranks[missing].pid);
    fail_job(j, 1);
}

static void rank_exited(struct job *j, int i, int st)
{
    struct rank *r = &j->ranks[i];
    r->running = 0;
    j->nrunning--;
    /* What it sent before dying comes first: an abort request, its last
     * output lines. */
    for (int k = 0; k < 64 && pmi_server_fd(j->pmi, i) >= 0; k++)
        if (pmi_server_service(j->pmi, i)) break;
    io_stream_drain(&r->out);
    io_stream_drain(&r->err);
    pmi_server_rank_gone(j->pmi, i);

    /* With --no-abort-on-exit a failure is reported and remembered for the
     * exit code, the others go on and are told the rank is gone. */
    void (*failed)(struct job *, int) = j->cfg->no_abort ? remember_failure : fail_job;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        if (j->cfg->verbose) ferry_report("rank %d (pid %d) exited with code 0", i, (int)r->pid);
    } else if (!j->ending) {
        char desc[96];
        if (WIFEXITED(st)) {
            ferry_report("rank %d (pid %d) exited with code %d", i, (int)r->pid, WEXITSTATUS(st));
            failed(j, WEXITSTATUS(st));
        } else {
            int sig = WTERMSIG(st);
            ferry_report("rank %d (pid %d) killed by signal %s", i, (int)r->pid,
                         ferry_signal_desc(sig, desc, sizeof desc));
            failed(j, 128 + sig);
        }
    }
    if (j->cfg->no_abort) pmi_server_announce_exit(j->pmi, i);
    check_barrier(j);
}

static void reap(struct job *j)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (int i = 0; i < j->nstarted; i++)
            if (j->ranks[i].pid == pid && j->ranks[i].running) {
                rank_exited(j, i, st);
                break;
            }
    }
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
        signal_ranks(j, SIGKILL); /* asked twice: no more grace */
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

static void on_timers(struct job *j, int64_t now)
{
    pmi_server_tick(j->pmi);
    if (j->deadline && now >= j->deadline && j->nrunning > 0 && !j->ending) {
        ferry_report("job exceeded --timeout %d s", j->cfg->timeout_s);
        fail_job(j, 124);
    }
    if (j->kill_at && now >= j->kill_at) {
        signal_ranks(j, SIGKILL);
        j->kill_at = 0;
    }
    if (j->nrunning == 0 && !j->drain_end) j->drain_end = now + DRAIN_GRACE_MS;
}

static int poll_timeout(const struct job *j, int64_t now)
{
    int64_t next = INT64_MAX;
    if (j->deadline && !j->ending) next = j->deadline;
    if (j->kill_at && j->kill_at < next) next = j->kill_at;
    if (j->drain_end && j->drain_end < next) next = j->drain_end;
    int64_t lookup = pmi_server_next_deadline(j->pmi);
    if (lookup >= 0 && lookup < next) next = lookup;
    if (next == INT64_MAX) return -1;
    return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

static int streams_open(const struct job *j)
{
    for (int i = 0; i < j->nstarted; i++)
        if (j->ranks[i].out.fd >= 0 || j->ranks[i].err.fd >= 0) return 1;
    return 0;
}

static void loop(struct job *j)
{
    struct pollfd *pfd = j->pfd;
    struct poll_src *what = j->src;
    for (;;) {
        int64_t now = now_ms();
        on_timers(j, now);
        if (j->nrunning == 0 && (!streams_open(j) || now >= j->drain_end)) break;
        size_t n = 0;
        pfd[n] = (struct pollfd){.fd = j->sigfd, .events = POLLIN};
        what[n++].src = SRC_SIG;
        for (int i = 0; i < j->nstarted; i++) {
            struct rank *r = &j->ranks[i];
            int fds[3] = {pmi_server_fd(j->pmi, i), r->out.fd, r->err.fd};
            for (int k = 0; k < 3; k++) {
                if (fds[k] < 0) continue;
                pfd[n] = (struct pollfd){.fd = fds[k], .events = POLLIN};
                what[n].src = (enum src)(SRC_PMI + k);
                what[n++].rank = i;
            }
        }
        int rc = poll(pfd, n, poll_timeout(j, now));
        if (rc < 0 && errno != EINTR) {
            ferry_report("poll failed: %s", strerror(errno));
            fail_job(j, 1);
            signal_ranks(j, SIGKILL);
            break;
        }
        int sig_ready = 0;
        for (size_t k = 0; rc > 0 && k < n; k++) {
            if (!pfd[k].revents) continue;
            struct rank *r = &j->ranks[what[k].rank];
            switch (what[k].src) {
            case SRC_SIG:
                sig_ready = 1; /* after the data, so a dead rank's last words come first */
                break;
            case SRC_PMI:
                pmi_server_service(j->pmi, what[k].rank);
                check_barrier(j);
                break;
            case SRC_OUT:
                io_stream_pump(&r->out);
                break;
            case SRC_ERR:
                io_stream_pump(&r->err);
                break;
            }
        }
        if (sig_ready) read_signals(j);
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

static int start_ranks(struct job *j)
{
    struct job_config *c = j->cfg;
    for (int i = 0; i < j->size; i++) {
        struct spawned sp;
        char err[512];
        if (spawn_rank(&c->spawn, i, &sp, err, sizeof err) != 0) {
            ferry_report("%s", err);
            return -1;
        }
        struct rank *r = &j->ranks[i];
        r->pid = sp.pid;
        r->running = 1;
        j->nstarted++;
        j->nrunning++;
        pmi_server_attach(j->pmi, i, sp.pmi_fd);
        if (io_stream_init(&r->out, sp.out_fd, &j->sink_out, i, "stdout", c->tag_output) ||
            io_stream_init(&r->err, sp.err_fd, &j->sink_err, i, "stderr", c->tag_output)) {
            ferry_report("out of memory");
            return -1;
        }
        if (c->verbose) {
            char where[160] = "not bound";
            if (c->spawn.bind) bind_plan_describe(c->spawn.bind, i, where, sizeof where);
            ferry_report("rank %d: pid %d, %s", i, (int)sp.pid, where);
        }
    }
    return 0;
}

int job_run(struct job_config *cfg)
{
    struct job j = {.cfg = cfg, .size = cfg->spawn.size, .sigfd = -1};
    j.sink_out.fd = STDOUT_FILENO;
    j.sink_err.fd = STDERR_FILENO;
    j.ranks = calloc((size_t)j.size, sizeof *j.ranks);
    j.pfd = calloc(1 + 3 * (size_t)j.size, sizeof *j.pfd);
    j.src = calloc(1 + 3 * (size_t)j.size, sizeof *j.src);
    for (int i = 0; j.ranks && i < j.size; i++) j.ranks[i].out.fd = j.ranks[i].err.fd = -1;
    if (!j.ranks || !j.pfd || !j.src || setup_signals(&j) != 0) {
        ferry_report("cannot set up the job: %s", strerror(errno));
        free(j.ranks);
        free(j.pfd);
        free(j.src);
        return 1;
    }

    char kvsname[64];
    snprintf(kvsname, sizeof kvsname, "kvs_%d_0", (int)getpid());
    struct pmi_server_hooks hooks = {
        .ctx = &j, .on_abort = on_abort, .on_bad_request = on_bad_request};
    j.pmi = pmi_server_create(j.size, kvsname, &hooks);
    size_t seg_size = 0;
    int shm_fd = -1;
    int rc = j.pmi ? shm_segment_create(j.size, &shm_fd, &seg_size) : 0;
    if (!j.pmi || rc != 0) {
        if (!j.pmi)
            ferry_report("out of memory");
        else
            ferry_report("cannot create the node's shared segment for %d ranks (error %d)", j.size,
                         rc);
        pmi_server_destroy(j.pmi);
        close(j.sigfd);
        free(j.ranks);
        free(j.pfd);
        free(j.src);
        return 1;
    }
    cfg->spawn.shm_fd = shm_fd;
    if (cfg->verbose)
        ferry_report("job of %d ranks of %s, KVS %s, shared segment %zu bytes, binding %s", j.size,
                     cfg->spawn.path, kvsname, seg_size, cfg->spawn.bind ? "core" : "none");
    if (cfg->timeout_s) j.deadline = now_ms() + (int64_t)cfg->timeout_s * 1000;

    if (start_ranks(&j) != 0) fail_job(&j, 1);
    close(shm_fd); /* the ranks hold it now */
    loop(&j);

    for (int i = 0; i < j.nstarted; i++) {
        io_stream_close(&j.ranks[i].out);
        io_stream_close(&j.ranks[i].err);
        io_stream_free(&j.ranks[i].out);
        io_stream_free(&j.ranks[i].err);
    }
    pmi_server_destroy(j.pmi);
    close(j.sigfd);
    free(j.ranks);
    free(j.pfd);
    free(j.src);
    if (cfg->verbose) ferry_report("job ended, exit status %d", j.failed ? j.status : 0);
    return j.failed ? j.status : 0;
}
