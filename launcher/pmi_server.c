/* PMI-1 requests and their answers. Every request gets exactly one answer
 * (barrier_in: when the last rank is in; abort: none), bad ones included, so
 * a client never waits for an answer that will not come. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "launcher/kvs.h"
#include "launcher/names.h"
#include "launcher/pmi_server.h"
#include "runtime/wireup/pmi_wire.h"

/* A rank that stops reading its answers must not stall the launcher long. */
#define PMI_SEND_TIMEOUT_S 2

struct conn {
    int fd;
    struct pmi_reader rd;
    int in_barrier, gone, reported;
};

struct pmi_server {
    int size, job_size;
    int nin; /* ranks in the current barrier */
    char kvsname[PMI_KVSNAME_MAX + 1];
    struct kvs *kvs;
    struct names *names;
    struct pmi_server_hooks hooks;
    struct conn *conns;
    int lenient; /* ranks that exited count as in every barrier */
    int held;    /* all in, waiting for the other nodes (on_barrier) */
};

struct pmi_server *pmi_server_create(int size, const char *kvsname,
                                     const struct pmi_server_hooks *hooks)
{
    /* What Hydra publishes, so MPICH-built ranks learn that all of them share
     * this node: one block of size ranks starting at node 0. */
    char map[64];
    snprintf(map, sizeof map, "(vector,(0,1,%d))", size);
    return pmi_server_create_node(size, size, kvsname, map, hooks);
}

struct pmi_server *pmi_server_create_node(int size, int job_size, const char *kvsname,
                                          const char *mapping, const struct pmi_server_hooks *hooks)
{
    if (size < 1 || job_size < size || strlen(kvsname) > PMI_KVSNAME_MAX) return NULL;
    struct pmi_server *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->size = size;
    s->job_size = job_size;
    strcpy(s->kvsname, kvsname);
    s->hooks = *hooks;
    s->kvs = kvs_create();
    s->names = names_create(size);
    s->conns = calloc((size_t)size, sizeof *s->conns);
    if (!s->kvs || !s->names || !s->conns) {
        pmi_server_destroy(s);
        return NULL;
    }
    for (int i = 0; i < size; i++) s->conns[i].fd = -1;
    if (mapping && kvs_put(s->kvs, "PMI_process_mapping", mapping) != 0) {
        pmi_server_destroy(s);
        return NULL;
    }
    return s;
}

void pmi_server_destroy(struct pmi_server *s)
{
    if (!s) return;
    for (int i = 0; s->conns && i < s->size; i++)
        if (s->conns[i].fd >= 0) close(s->conns[i].fd);
    free(s->conns);
    kvs_destroy(s->kvs);
    names_destroy(s->names);
    free(s);
}

void pmi_server_attach(struct pmi_server *s, int rank, int fd)
{
    struct conn *c = &s->conns[rank];
    struct timeval tv = {.tv_sec = PMI_SEND_TIMEOUT_S};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    c->fd = fd;
    pmi_reader_init(&c->rd, fd);
}

int pmi_server_fd(const struct pmi_server *s, int rank)
{
    return s->conns[rank].fd;
}

static void conn_close(struct conn *c)
{
    if (c->fd < 0) return;
    close(c->fd);
    c->fd = -1;
}

__attribute__((format(printf, 3, 4))) static void bad_request(struct pmi_server *s, int rank,
                                                              const char *fmt, ...)
{
    struct conn *c = &s->conns[rank];
    if (c->reported) return;
    c->reported = 1;
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (s->hooks.on_bad_request) s->hooks.on_bad_request(s->hooks.ctx, rank, what);
}

/* The answer's name for a request, so a client that checks it sees rc=-1
 * rather than a confusing mismatch; NULL for unknown requests. */
static const char *answer_name(const char *cmd)
{
    static const char *const names[][2] = {
        {"init", "response_to_init"},
        {"get_maxes", "maxes"},
        {"get_my_kvsname", "my_kvsname"},
        {"get_universe_size", "universe_size"},
        {"get_appnum", "appnum"},
        {"put", "put_result"},
        {"get", "get_result"},
        {"barrier_in", "barrier_out"},
        {"finalize", "finalize_ack"},
        {"ferry_name_register", "ferry_name_register_result"},
        {"ferry_name_unregister", "ferry_name_unregister_result"},
        {"ferry_name_lookup", "ferry_name_lookup_result"},
    };
    for (size_t i = 0; cmd && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(cmd, names[i][0]) == 0) return names[i][1];
    return NULL;
}

static const char *wire_reason(int err)
{
    switch (err) {
    case PMI_WIRE_TOO_LONG:
        return "line_or_field_too_long";
    case PMI_WIRE_MALFORMED:
        return "malformed_field";
    case PMI_WIRE_NO_CMD:
        return "no_cmd";
    case PMI_WIRE_TOO_MANY:
        return "too_many_fields";
    }
    return "bad_request";
}

/* Answer on rank's connection; a peer that is gone or stuck is closed. */
#define ANSWER(s, rank, ...)                                                                       \
    do {                                                                                           \
        struct conn *c_ = &(s)->conns[rank];                                                       \
        if (c_->fd >= 0 && pmi_send(c_->fd, __VA_ARGS__, NULL) != PMI_WIRE_OK) conn_close(c_);     \
    } while (0)

static void answer_error(struct pmi_server *s, int rank, const char *cmd, const char *reason)
{
    ANSWER(s, rank, cmd, "rc", "-1", "msg", reason);
}

static void do_abort(struct pmi_server *s, int rank, const struct pmi_msg *m)
{
    long code = 1;
    if (pmi_get_long(m, "exitcode", &code) != PMI_WIRE_OK) code = 1;
    const char *msg = pmi_get(m, "error_msg");
    if (!msg) msg = pmi_get(m, "msg");
    if (s->hooks.on_abort) s->hooks.on_abort(s->hooks.ctx, rank, code, msg);
}

/* Complete the barrier when every rank is in it (or, when lenient, gone):
 * here, or through on_barrier once the other nodes are in too. */
static void barrier_try(struct pmi_server *s)
{
    int have = s->nin;
    if (s->lenient)
        for (int i = 0; i < s->size; i++) have += s->conns[i].gone && !s->conns[i].in_barrier;
    if (have < s->size || s->nin == 0 || s->held) return;
    if (s->hooks.on_barrier) {
        s->held = 1;
        s->hooks.on_barrier(s->hooks.ctx);
        return;
    }
    pmi_server_barrier_release(s);
}

void pmi_server_barrier_release(struct pmi_server *s)
{
    s->nin = 0;
    s->held = 0;
    for (int i = 0; i < s->size; i++) {
        if (!s->conns[i].in_barrier) continue;
        s->conns[i].in_barrier = 0;
        ANSWER(s, i, "barrier_out");
    }
}

static void barrier_in(struct pmi_server *s, int rank)
{
    struct conn *c = &s->conns[rank];
    if (c->in_barrier) {
        bad_request(s, rank, "barrier_in while already in the barrier");
        answer_error(s, rank, "barrier_out", "already_in_barrier");
        return;
    }
    c->in_barrier = 1;
    s->nin++;
    barrier_try(s);
}

int pmi_server_barrier_count(const struct pmi_server *s)
{
    return s->nin;
}

int pmi_server_kvs_put(struct pmi_server *s, const char *key, const char *val)
{
    return kvs_put(s->kvs, key, val);
}

/* The kvsname and key of a put/get; answers the error itself when bad. */
static int kvs_args(struct pmi_server *s, int rank, const struct pmi_msg *m, const char *ans,
                    const char **key)
{
    const char *name = pmi_get(m, "kvsname");
    *key = pmi_get(m, "key");
    const char *why = NULL;
    if (!name)
        why = "missing_kvsname";
    else if (strcmp(name, s->kvsname) != 0)
        why = "unknown_kvsname";
    else if (!*key || !**key)
        why = "missing_key";
    else if (strlen(*key) > PMI_KEYLEN_MAX)
        why = "key_too_long";
    if (!why) return 0;
    bad_request(s, rank, "%s request: %s", m->cmd, why);
    answer_error(s, rank, ans, why);
    return -1;
}

static void put(struct pmi_server *s, int rank, const struct pmi_msg *m)
{
    const char *key, *val = pmi_get(m, "value");
    if (kvs_args(s, rank, m, "put_result", &key) != 0) return;
    if (!val) {
        bad_request(s, rank, "put without a value");
        answer_error(s, rank, "put_result", "missing_value");
        return;
    }
    int rc = kvs_put(s->kvs, key, val);
    if (rc == 0) {
        if (s->hooks.on_put) s->hooks.on_put(s->hooks.ctx, key, val);
        ANSWER(s, rank, "put_result", "rc", "0", "msg", "success");
        return;
    }
    char why[PMI_KEYLEN_MAX + 32];
    if (rc == -EEXIST)
        snprintf(why, sizeof why, "duplicate_key_%s", key);
    else
        snprintf(why, sizeof why, "%s", rc == -ENOSPC ? "kvs_full" : "out_of_memory");
    answer_error(s, rank, "put_result", why);
}

static void get(struct pmi_server *s, int rank, const struct pmi_msg *m)
{
    const char *key;
    if (kvs_args(s, rank, m, "get_result", &key) != 0) return;
    const char *val = kvs_get(s->kvs, key);
    if (val) {
        ANSWER(s, rank, "get_result", "rc", "0", "msg", "success", "value", val);
        return;
    }
    char why[PMI_KEYLEN_MAX + 32];
    snprintf(why, sizeof why, "key_%s_not_found", key);
    answer_error(s, rank, "get_result", why);
}

static int64_t clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void server_answer(void *ctx, int rank, const char *cmd, const char *rc, const char *key,
                          const char *val)
{
    struct pmi_server *s = ctx;
    if (key)
        ANSWER(s, rank, cmd, "rc", rc, key, val);
    else
        ANSWER(s, rank, cmd, "rc", rc);
}

void pmi_server_answer(struct pmi_server *s, int rank, const char *cmd, const char *rc,
                       const char *key, const char *val)
{
    if (rank >= 0 && rank < s->size) server_answer(s, rank, cmd, rc, key, val);
}

/* The name service's requests (Ferry's, beyond PMI-1): register, unregister
 * and lookup, which may wait for the name; served here or, in a job over
 * several nodes, by ferryrun for all of them (on_name). */
static void name_request(struct pmi_server *s, int rank, const struct pmi_msg *m)
{
    const char *ans = answer_name(m->cmd);
    const char *name = pmi_get(m, "name");
    if (!ans) {
        bad_request(s, rank, "unknown command '%s'", m->cmd);
        answer_error(s, rank, m->cmd, "unknown_command");
        return;
    }
    if (!names_valid(name)) {
        bad_request(s, rank, "%s: bad or missing name", m->cmd);
        answer_error(s, rank, ans, "bad_name");
        return;
    }
    const char *port = pmi_get(m, "port"), *timeout = pmi_get(m, "timeout_ms");
    if (s->hooks.on_name)
        s->hooks.on_name(s->hooks.ctx, rank, m->cmd, name, port, timeout);
    else
        names_serve(s->names, rank, m->cmd, name, port, timeout, clock_ms(), server_answer, s);
}

int64_t pmi_server_next_deadline(const struct pmi_server *s)
{
    return names_next_deadline(s->names);
}

void pmi_server_tick(struct pmi_server *s)
{
    names_expire(s->names, clock_ms(), server_answer, s);
}

static void handle(struct pmi_server *s, int rank, const struct pmi_msg *m)
{
    const char *cmd = m->cmd;
    char num[24];
    if (strcmp(cmd, "init") == 0) {
        const char *v = pmi_get(m, "pmi_version");
        if (!v || strcmp(v, "1") != 0) {
            bad_request(s, rank, "init asks for PMI version %s (only 1 is served)", v ? v : "?");
            ANSWER(s, rank, "response_to_init", "pmi_version", "1", "pmi_subversion", "1", "rc",
                   "-1", "msg", "unsupported_pmi_version");
            return;
        }
        ANSWER(s, rank, "response_to_init", "pmi_version", "1", "pmi_subversion", "1", "rc", "0");
    } else if (strcmp(cmd, "get_maxes") == 0) {
        char kn[16], kl[16], vl[16];
        snprintf(kn, sizeof kn, "%d", PMI_KVSNAME_MAX);
        snprintf(kl, sizeof kl, "%d", PMI_KEYLEN_MAX);
        snprintf(vl, sizeof vl, "%d", PMI_VALLEN_MAX);
        ANSWER(s, rank, "maxes", "kvsname_max", kn, "keylen_max", kl, "vallen_max", vl, "rc", "0");
    } else if (strcmp(cmd, "get_my_kvsname") == 0) {
        ANSWER(s, rank, "my_kvsname", "kvsname", s->kvsname, "rc", "0");
    } else if (strcmp(cmd, "get_universe_size") == 0) {
        snprintf(num, sizeof num, "%d", s->job_size);
        ANSWER(s, rank, "universe_size", "size", num, "rc", "0");
    } else if (strcmp(cmd, "get_appnum") == 0) {
        ANSWER(s, rank, "appnum", "appnum", "0", "rc", "0");
    } else if (strcmp(cmd, "put") == 0) {
        put(s, rank, m);
    } else if (strcmp(cmd, "get") == 0) {
        get(s, rank, m);
    } else if (strcmp(cmd, "barrier_in") == 0) {
        barrier_in(s, rank);
    } else if (strcmp(cmd, "finalize") == 0) {
        ANSWER(s, rank, "finalize_ack");
    } else if (strcmp(cmd, "abort") == 0) {
        do_abort(s, rank, m);
    } else if (strncmp(cmd, "ferry_name_", 11) == 0) {
        name_request(s, rank, m);
    } else {
        bad_request(s, rank, "unknown command '%s'", cmd);
        answer_error(s, rank, cmd, "unknown_command");
    }
}

static void handle_bad_line(struct pmi_server *s, int rank, const struct pmi_msg *m, int err)
{
    /* An abort whose message has spaces still ends the job as asked. */
    if (m->cmd && strcmp(m->cmd, "abort") == 0) {
        do_abort(s, rank, m);
        return;
    }
    const char *ans = answer_name(m->cmd);
    bad_request(s, rank, "%s", pmi_wire_strerror(err));
    answer_error(s, rank, ans ? ans : m->cmd ? m->cmd : "error", wire_reason(err));
}

int pmi_server_service(struct pmi_server *s, int rank)
{
    struct conn *c = &s->conns[rank];
    if (c->fd < 0) return 0;
    int rc = pmi_reader_fill(&c->rd);
    struct pmi_msg m;
    int got;
    while (c->fd >= 0 && (got = pmi_next_msg(&c->rd, &m)) != 0) {
        if (got < 0)
            handle_bad_line(s, rank, &m, got);
        else
            handle(s, rank, &m);
    }
    if (c->fd < 0) return 1; /* an answer could not be sent */
    if (rc == PMI_WIRE_EOF || rc == PMI_WIRE_IO) {
        conn_close(c);
        return 1;
    }
    return 0;
}

void pmi_server_rank_gone(struct pmi_server *s, int rank)
{
    s->conns[rank].gone = 1;
    names_rank_gone(s->names, rank);
}

void pmi_server_announce_exit(struct pmi_server *s, int local, int rank)
{
    char r[16];
    snprintf(r, sizeof r, "%d", rank);
    s->lenient = 1;
    for (int i = 0; i < s->size; i++)
        if (i != local && !s->conns[i].gone) ANSWER(s, i, "ferry_event_rank_exited", "rank", r);
    barrier_try(s);
}

void pmi_server_lenient(struct pmi_server *s)
{
    s->lenient = 1;
}

int pmi_server_barrier_stuck(const struct pmi_server *s, int *waiter, int *missing)
{
    if (s->lenient) return 0;
    if (s->nin == 0) return 0;
    int w = -1, g = -1;
    for (int i = 0; i < s->size; i++) {
        if (s->conns[i].in_barrier && w < 0) w = i;
        if (s->conns[i].gone && !s->conns[i].in_barrier && g < 0) g = i;
    }
    if (w < 0 || g < 0) return 0;
    *waiter = w;
    *missing = g;
    return 1;
}
