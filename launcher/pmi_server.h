/* The launcher's PMI-1 server: one stream socket per rank, answered as
 * MPICH's simple PMI and Hydra answer, driven by the launcher's poll loop. */
#ifndef FERRY_LAUNCHER_PMI_SERVER_H
#define FERRY_LAUNCHER_PMI_SERVER_H

#include <stdint.h>

struct pmi_server;

/* What the server cannot decide alone; it calls back into the launcher. */
struct pmi_server_hooks {
    void *ctx;
    /* rank sent cmd=abort; msg is its error_msg (or NULL). */
    void (*on_abort)(void *ctx, int rank, long code, const char *msg);
    /* rank sent a bad or unknown request. Called for a rank's first one
     * only; later ones are answered but not reported. */
    void (*on_bad_request)(void *ctx, int rank, const char *what);
    /* Optional, for jobs over several nodes. A put succeeded here. */
    void (*on_put)(void *ctx, const char *key, const char *val);
    /* Every rank of this server is in the barrier: the caller completes it
     * with pmi_server_barrier_release once the other nodes are in too.
     * Without this hook the server completes barriers itself. */
    void (*on_barrier)(void *ctx);
    /* Optional: a name service request (valid name; port and timeout_ms
     * may be NULL) to serve elsewhere; answer with pmi_server_answer. */
    void (*on_name)(void *ctx, int rank, const char *cmd, const char *name, const char *port,
                    const char *timeout_ms);
};

/* A server for ranks 0..size-1 of the job whose KVS is called kvsname.
 * NULL when out of memory. */
struct pmi_server *pmi_server_create(int size, const char *kvsname,
                                     const struct pmi_server_hooks *hooks);
/* The same for the size ranks of this node in a job of job_size ranks;
 * mapping is the PMI_process_mapping value to publish (NULL: none). */
struct pmi_server *pmi_server_create_node(int size, int job_size, const char *kvsname,
                                          const char *mapping,
                                          const struct pmi_server_hooks *hooks);
void pmi_server_destroy(struct pmi_server *s);
/* A put made on another node, learnt at a fence: 0, or kvs_put's error. */
int pmi_server_kvs_put(struct pmi_server *s, const char *key, const char *val);
/* Answer every rank waiting in the barrier (after on_barrier). */
void pmi_server_barrier_release(struct pmi_server *s);
/* How many ranks are in the current barrier. */
int pmi_server_barrier_count(const struct pmi_server *s);

/* Serve rank on fd (the launcher's end of its socket); the server owns fd. */
void pmi_server_attach(struct pmi_server *s, int rank, int fd);
/* The fd to poll for rank, or -1 once its connection has closed. */
int pmi_server_fd(const struct pmi_server *s, int rank);
/* Read what rank has sent and answer each complete request. Returns 1 when
 * the connection has just closed (EOF or error), else 0. */
int pmi_server_service(struct pmi_server *s, int rank);

/* Name lookups wait in the server: when the next one times out (a
 * CLOCK_MONOTONIC time in ms, -1: none), and answering those that did. */
int64_t pmi_server_next_deadline(const struct pmi_server *s);
void pmi_server_tick(struct pmi_server *s);

/* rank's process has ended: it will never join a barrier. */
void pmi_server_rank_gone(struct pmi_server *s, int rank);
/* Global rank has ended and the job goes on (--no-abort-on-exit): tell
 * this server's other ranks (local: its index here, -1 when it ran on
 * another node), and from now on count ended ranks as present in barriers. */
void pmi_server_announce_exit(struct pmi_server *s, int local, int rank);
/* Count ended ranks as present in barriers from now on. */
void pmi_server_lenient(struct pmi_server *s);
/* Answer a request of rank that was served elsewhere (on_name). */
void pmi_server_answer(struct pmi_server *s, int rank, const char *cmd, const char *rc,
                       const char *key, const char *val);
/* Whether the current barrier can never complete: *waiter waits in it and
 * *missing has ended without entering it. */
int pmi_server_barrier_stuck(const struct pmi_server *s, int *waiter, int *missing);

#endif
