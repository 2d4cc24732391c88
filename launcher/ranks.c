#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher/ranks.h"

static void pmi_abort(void *ctx, int i, long code, const char *msg)
{
    struct node_ranks *nr = ctx;
    if (nr->hooks.on_abort) nr->hooks.on_abort(nr->hooks.ctx, nr->r[i].rank, code, msg);
}

static void pmi_bad(void *ctx, int i, const char *what)
{
    struct node_ranks *nr = ctx;
    if (nr->hooks.on_bad_request) nr->hooks.on_bad_request(nr->hooks.ctx, nr->r[i].rank, what);
}

static void pmi_put(void *ctx, const char *key, const char *val)
{
    struct node_ranks *nr = ctx;
    nr->hooks.on_put(nr->hooks.ctx, key, val);
}

static void pmi_name(void *ctx, int i, const char *cmd, const char *name, const char *port,
                     const char *timeout_ms)
{
    struct node_ranks *nr = ctx;
    nr->hooks.on_name(nr->hooks.ctx, nr->r[i].rank, cmd, name, port, timeout_ms);
}

static void pmi_barrier(void *ctx)
{
    struct node_ranks *nr = ctx;
    nr->hooks.on_barrier(nr->hooks.ctx);
}

int ranks_init(struct node_ranks *nr, int n, const int *ranks, int job_size, const char *kvsname,
               const char *mapping, struct io_sink *out, struct io_sink *err, int tag,
               const struct ranks_hooks *hooks)
{
    memset(nr, 0, sizeof *nr);
    nr->hooks = *hooks;
    nr->out = out;
    nr->err = err;
    nr->tag = tag;
    if (n == 0) return 0;
    nr->r = calloc((size_t)n, sizeof *nr->r);
    if (!nr->r) return -1;
    nr->n = n;
    for (int i = 0; i < n; i++) {
        nr->r[i].rank = ranks[i];
        nr->r[i].out.fd = nr->r[i].err.fd = -1;
    }
    struct pmi_server_hooks ph = {.ctx = nr,
                                  .on_abort = pmi_abort,
                                  .on_bad_request = pmi_bad,
                                  .on_put = hooks->on_put ? pmi_put : NULL,
                                  .on_barrier = hooks->on_barrier ? pmi_barrier : NULL,
                                  .on_name = hooks->on_name ? pmi_name : NULL};
    nr->pmi = pmi_server_create_node(n, job_size, kvsname, mapping, &ph);
    return nr->pmi ? 0 : -1;
}

int ranks_start(struct node_ranks *nr, int i, const struct spawn_spec *sp, char *err, size_t errlen)
{
    struct spawned s;
    struct node_rank *r = &nr->r[i];
    if (spawn_rank(sp, r->rank, i, &s, err, errlen) != 0) return -1;
    r->pid = s.pid;
    r->running = 1;
    nr->nstarted++;
    nr->nrunning++;
    pmi_server_attach(nr->pmi, i, s.pmi_fd);
    if (io_stream_init(&r->out, s.out_fd, nr->out, r->rank, "stdout", nr->tag) ||
        io_stream_init(&r->err, s.err_fd, nr->err, r->rank, "stderr", nr->tag)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void on_pmi(void *ctx, int i, short revents)
{
    struct node_ranks *nr = ctx;
    pmi_server_service(nr->pmi, i);
}

static void on_out(void *ctx, int i, short revents)
{
    struct node_ranks *nr = ctx;
    io_stream_pump(&nr->r[i].out);
}

static void on_err(void *ctx, int i, short revents)
{
    struct node_ranks *nr = ctx;
    io_stream_pump(&nr->r[i].err);
}

static int sink_full(const struct io_sink *k)
{
    return k->full && k->full(k->ctx);
}

void ranks_watch(struct node_ranks *nr, struct loop *l)
{
    int out_ok = !sink_full(nr->out), err_ok = !sink_full(nr->err);
    for (int i = 0; i < nr->nstarted; i++) {
        loop_add(l, pmi_server_fd(nr->pmi, i), POLLIN, on_pmi, nr, i);
        if (out_ok) loop_add(l, nr->r[i].out.fd, POLLIN, on_out, nr, i);
        if (err_ok) loop_add(l, nr->r[i].err.fd, POLLIN, on_err, nr, i);
    }
}

int ranks_reaped(struct node_ranks *nr, pid_t pid, int status)
{
    for (int i = 0; i < nr->nstarted; i++) {
        struct node_rank *r = &nr->r[i];
        if (r->pid != pid || !r->running) continue;
        r->running = 0;
        nr->nrunning--;
        /* What it sent before dying comes first: an abort request, its last
         * output lines. */
        for (int k = 0; k < 64 && pmi_server_fd(nr->pmi, i) >= 0; k++)
            if (pmi_server_service(nr->pmi, i)) break;
        io_stream_drain(&r->out);
        io_stream_drain(&r->err);
        pmi_server_rank_gone(nr->pmi, i);
        if (nr->hooks.on_exit) nr->hooks.on_exit(nr->hooks.ctx, r->rank, pid, status);
        return 1;
    }
    return 0;
}

void ranks_signal(struct node_ranks *nr, int sig)
{
    for (int i = 0; i < nr->nstarted; i++)
        if (nr->r[i].running) kill(-nr->r[i].pid, sig);
}

int ranks_streams_open(const struct node_ranks *nr)
{
    for (int i = 0; i < nr->nstarted; i++)
        if (nr->r[i].out.fd >= 0 || nr->r[i].err.fd >= 0) return 1;
    return 0;
}

int ranks_barrier_stuck(const struct node_ranks *nr, int *waiter, int *missing, pid_t *pid)
{
    int w, m;
    if (!nr->pmi || !pmi_server_barrier_stuck(nr->pmi, &w, &m)) return 0;
    *waiter = nr->r[w].rank;
    *missing = nr->r[m].rank;
    *pid = nr->r[m].pid;
    return 1;
}

int ranks_local(const struct node_ranks *nr, int rank)
{
    /* Ranks of a node are few and in increasing order. */
    int lo = 0, hi = nr->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (nr->r[mid].rank == rank) return mid;
        if (nr->r[mid].rank < rank)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

void ranks_answer(struct node_ranks *nr, int rank, const char *cmd, const char *rc, const char *key,
                  const char *val)
{
    int i = ranks_local(nr, rank);
    if (i >= 0) pmi_server_answer(nr->pmi, i, cmd, rc, key, val);
}

void ranks_fini(struct node_ranks *nr)
{
    for (int i = 0; i < nr->nstarted; i++) {
        io_stream_close(&nr->r[i].out);
        io_stream_close(&nr->r[i].err);
        io_stream_free(&nr->r[i].out);
        io_stream_free(&nr->r[i].err);
    }
    pmi_server_destroy(nr->pmi);
    free(nr->r);
    memset(nr, 0, sizeof *nr);
}
