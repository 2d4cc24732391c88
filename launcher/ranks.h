/* The ranks of one node, as ferryrun or a node agent runs them: started
 * with their PMI socket and output pipes, their PMI requests served, their
 * output forwarded, their ends noticed. What a failure means is for the
 * caller to decide (hooks). */
#ifndef FERRY_LAUNCHER_RANKS_H
#define FERRY_LAUNCHER_RANKS_H

#include <sys/types.h>

#include "launcher/io.h"
#include "launcher/loop.h"
#include "launcher/pmi_server.h"
#include "launcher/spawn.h"

struct ranks_hooks {
    void *ctx;
    /* Global rank ended (pid, wait status), after its last PMI requests
     * and output were taken. */
    void (*on_exit)(void *ctx, int rank, pid_t pid, int status);
    void (*on_abort)(void *ctx, int rank, long code, const char *msg);
    void (*on_bad_request)(void *ctx, int rank, const char *what);
    /* Optional: see pmi_server_hooks. */
    void (*on_put)(void *ctx, const char *key, const char *val);
    void (*on_barrier)(void *ctx);
    /* Optional: a name service request of global rank, served elsewhere;
     * answered with ranks_answer. */
    void (*on_name)(void *ctx, int rank, const char *cmd, const char *name, const char *port,
                    const char *timeout_ms);
};

struct node_rank {
    int rank; /* global */
    pid_t pid;
    int running;
    struct io_stream out, err;
};

struct node_ranks {
    int n, nstarted, nrunning;
    struct node_rank *r;
    struct pmi_server *pmi;
    struct ranks_hooks hooks;
    struct io_sink *out, *err;
    int tag;
};

/* n ranks (their global numbers in ranks[]) of a job of job_size. */
int ranks_init(struct node_ranks *nr, int n, const int *ranks, int job_size, const char *kvsname,
               const char *mapping, struct io_sink *out, struct io_sink *err, int tag,
               const struct ranks_hooks *hooks);
/* Start rank i (local index); 0, or -1 with a reason in err. */
int ranks_start(struct node_ranks *nr, int i, const struct spawn_spec *sp, char *err,
                size_t errlen);
/* Watch PMI sockets and output pipes (not the pipes while the sinks are
 * full). */
void ranks_watch(struct node_ranks *nr, struct loop *l);
/* A child was reaped: 1 when it was one of these ranks. */
int ranks_reaped(struct node_ranks *nr, pid_t pid, int status);
void ranks_signal(struct node_ranks *nr, int sig);
int ranks_streams_open(const struct node_ranks *nr);
/* Whether the current PMI barrier can never complete; names a waiter and
 * the rank that ended without entering it (global ranks). */
int ranks_barrier_stuck(const struct node_ranks *nr, int *waiter, int *missing, pid_t *pid);
/* The local index of global rank, or -1 when it runs elsewhere. */
int ranks_local(const struct node_ranks *nr, int rank);
/* Answer global rank's request served elsewhere (on_name). */
void ranks_answer(struct node_ranks *nr, int rank, const char *cmd, const char *rc, const char *key,
                  const char *val);
void ranks_fini(struct node_ranks *nr);

#endif
