/* The agents this process (ferryrun, or an agent itself) starts and talks
 * to: their launch through the launcher command (ssh, or --launcher-exec),
 * the secret on their stdin, their connection back, its authentication, and
 * the links to them afterwards. See jobspec.h for the tree's shape. */
#ifndef FERRY_LAUNCHER_TREE_H
#define FERRY_LAUNCHER_TREE_H

#include <stdint.h>
#include <sys/types.h>

#include "launcher/io.h"
#include "launcher/jobspec.h"
#include "launcher/link.h"
#include "launcher/loop.h"

/* An agent that has not connected in this time is given up. */
#define TREE_CONNECT_MS 60000
/* A connection that has not said who it is in this time is dropped. */
#define TREE_HELLO_MS 10000

struct tree_child {
    int t, node;
    const char *host;
    pid_t pid;   /* the launcher command, until reaped */
    int running; /* pid not yet reaped */
    int status;  /* its wait status once reaped */
    int stdin_fd;
    struct io_stream out, err; /* what the launcher command or agent prints */
    struct link link;
    int connected, gone; /* gone: lost or ended, reported once */
    int fence_in;        /* its subtree is in the current fence */
    int64_t started;
};

struct tree_hooks {
    void *ctx;
    /* The agent proved it knows the secret: send it the job. */
    void (*on_ready)(void *ctx, struct tree_child *c);
    void (*on_frame)(void *ctx, struct tree_child *c, uint16_t type, const uint8_t *body,
                     size_t len);
    /* The link closed (the agent finished, or failed) or the agent never
     * came; reported once per child. */
    void (*on_gone)(void *ctx, struct tree_child *c, const char *why);
    /* A line the launcher command or the agent printed itself. */
    void (*on_diag)(void *ctx, struct tree_child *c, const char *p, size_t len);
    /* Something to log: a refused connection. */
    void (*log)(void *ctx, const char *msg);
};

struct pending_conn {
    struct link link;
    char peer[64];
    int64_t since;
    int child;   /* >= 0 once authenticated */
    int refused; /* and logged */
};

struct tree {
    int self;
    const struct jobspec *job;
    char secret[WIRE_SECRET + 1];
    int listen_fd, port;
    struct tree_child *c;
    int nc;
    struct pending_conn *pend;
    int npend;
    struct io_sink diag;
    struct tree_hooks hooks;
};

/* Make a per-job secret (hex of random bytes). 0 or -1. */
int tree_make_secret(char out[WIRE_SECRET + 1]);
/* Start the agents below tree index self. 0, or -1 with a reason (agents
 * already started keep running: end them with tree_fini). */
int tree_start(struct tree *tr, int self, const struct jobspec *job, const char *secret,
               const struct tree_hooks *hooks, char *err, size_t errlen);
void tree_watch(struct tree *tr, struct loop *l);
/* Heartbeats and launch timeouts. */
void tree_tick(struct tree *tr, int64_t now);
/* A child process was reaped: 1 when it was a launcher command of ours. */
int tree_reaped(struct tree *tr, pid_t pid, int status);
void tree_send(struct tree *tr, struct tree_child *c, struct wbuf *b);
void tree_broadcast(struct tree *tr, struct wbuf *b);
/* Children whose agents still run (not gone). */
int tree_active(const struct tree *tr);
/* Children whose launcher commands have not been reaped. */
int tree_running(const struct tree *tr);
/* Signal the launcher commands still running (their process groups). */
void tree_signal(struct tree *tr, int sig);
/* Whether every connected child has sent all it has queued. */
int tree_flushed(const struct tree *tr);
void tree_fini(struct tree *tr);

#endif
