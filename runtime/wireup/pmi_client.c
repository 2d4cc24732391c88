#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "include/ferry.h"
#include "runtime/core/world.h"
#include "runtime/progress/lock.h"
#include "runtime/wireup/pmi_client.h"
#include "runtime/wireup/pmi_wire.h"

static struct {
    int fd; /* -1: singleton */
    struct pmi_reader rd;
    char kvsname[PMI_KVSNAME_MAX];
    /* Singleton store: the puts of a job of one are its own gets. */
    struct kv {
        char *key, *val;
    } * kv;
    size_t nkv;
} pmi = {.fd = -1};

/* Lines the launcher sends unasked (a rank exited): never an answer. */
static void (*event_fn)(const struct pmi_msg *m);

/* Requests that wait for their answer (the name service, whose lookups
 * may wait long) can be in flight from several threads at once, each
 * waiting without the big lock. The launcher keeps one request of each
 * kind per rank and its answers carry no id, so requests of one kind take
 * turns, and an answer read by a thread that did not ask for it is left
 * in its kind's slot for the one that did. Slots are taken under the big
 * lock. */
#define KINDS 4
static struct kind {
    const char *expect; /* the answer's cmd; NULL while the slot is free */
    pthread_mutex_t turn;
    int waiting; /* a thread awaits this answer */
    int stashed; /* msg holds it */
    struct pmi_msg msg;
} kinds[KINDS] = {{.turn = PTHREAD_MUTEX_INITIALIZER},
                  {.turn = PTHREAD_MUTEX_INITIALIZER},
                  {.turn = PTHREAD_MUTEX_INITIALIZER},
                  {.turn = PTHREAD_MUTEX_INITIALIZER}};
static int awaiting; /* answers awaited: events are read with them */

static struct kind *kind_of(const char *expect)
{
    struct kind *free_slot = NULL;
    for (int i = 0; i < KINDS; i++) {
        if (kinds[i].expect && strcmp(kinds[i].expect, expect) == 0) return &kinds[i];
        if (!kinds[i].expect && !free_slot) free_slot = &kinds[i];
    }
    if (free_slot) free_slot->expect = expect;
    return free_slot;
}

/* An answer another thread awaits: leave it in that thread's slot. */
static int stash_for_other(const struct pmi_msg *m, const struct kind *mine)
{
    for (int i = 0; i < KINDS; i++) {
        struct kind *k = &kinds[i];
        if (k != mine && k->waiting && !k->stashed && strcmp(k->expect, m->cmd) == 0) {
            pmi_msg_copy(&k->msg, m);
            k->stashed = 1;
            return 1;
        }
    }
    return 0;
}

static int take_event(const struct pmi_msg *m)
{
    if (strncmp(m->cmd, "ferry_event_", 12) != 0) return 0;
    if (event_fn) event_fn(m);
    return 1;
}

void pmi_client_on_event(void (*fn)(const struct pmi_msg *m))
{
    event_fn = fn;
}

int pmi_client_poll_events(void)
{
    if (pmi.fd < 0 || awaiting) return 0;
    struct pmi_msg m;
    int n = 0;
    for (;;) {
        int rc = pmi_next_msg(&pmi.rd, &m);
        if (rc == 0 && (rc = pmi_reader_fill(&pmi.rd)) > 0) continue;
        if (rc <= 0) return n;
        if (!take_event(&m)) ferry_log("PMI: dropping an unexpected line '%s'", m.cmd);
        n++;
    }
}

static int env_int(const char *name, int *out)
{
    const char *s = getenv(name);
    if (!s || !*s) return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > 1 << 30) return -1;
    *out = (int)v;
    return 1;
}

/* Send a command and read the answer, which must be the expected cmd with
 * rc=0 (when it has an rc). */
static int call(struct pmi_msg *ans, const char *expect, const char *cmd, ...)
{
    /* Up to four key/value pairs: all PMI-1 commands Ferry uses fit. */
    const char *kv[9] = {0};
    va_list ap;
    va_start(ap, cmd);
    for (int i = 0; i < 8; i++) {
        kv[i] = va_arg(ap, const char *);
        if (!kv[i]) break;
    }
    va_end(ap);
    int rc = pmi_send(pmi.fd, cmd, kv[0], kv[1], kv[2], kv[3], kv[4], kv[5], kv[6], kv[7], NULL);
    if (rc) return FERRY_ERR_WIREUP;
    while (!(rc = pmi_read_msg(&pmi.rd, ans)) && (take_event(ans) || stash_for_other(ans, NULL))) {
    }
    if (rc) {
        ferry_log("PMI: no answer to %s: %s", cmd, pmi_wire_strerror(rc));
        return FERRY_ERR_WIREUP;
    }
    if (strcmp(ans->cmd, expect) != 0) {
        ferry_log("PMI: answer to %s was %s, expected %s", cmd, ans->cmd, expect);
        return FERRY_ERR_WIREUP;
    }
    long code = 0;
    if (pmi_get(ans, "rc") && (pmi_get_long(ans, "rc", &code) || code != 0))
        return FERRY_ERR_NOT_FOUND;
    return FERRY_OK;
}

int pmi_client_init(int *rank, int *size)
{
    int fd = -1, r = 0, n = 1;
    int has = env_int("PMI_FD", &fd);
    if (has == 0) {
        *rank = 0;
        *size = 1;
        snprintf(pmi.kvsname, sizeof pmi.kvsname, "singleton");
        return FERRY_OK;
    }
    if (has < 0 || env_int("PMI_RANK", &r) != 1 || env_int("PMI_SIZE", &n) != 1 || n < 1 ||
        r >= n) {
        ferry_log("PMI: bad PMI_FD/PMI_RANK/PMI_SIZE in the environment");
        return FERRY_ERR_WIREUP;
    }
    pmi.fd = fd;
    pmi_reader_init(&pmi.rd, fd);
    struct pmi_msg m;
    int rc = call(&m, "response_to_init", "init", "pmi_version", "1", "pmi_subversion", "1", NULL);
    if (rc) return FERRY_ERR_WIREUP;
    rc = call(&m, "my_kvsname", "get_my_kvsname", NULL);
    const char *k = rc ? NULL : pmi_get(&m, "kvsname");
    if (!k || strlen(k) >= sizeof pmi.kvsname) {
        ferry_log("PMI: no kvsname from the launcher");
        return FERRY_ERR_WIREUP;
    }
    strcpy(pmi.kvsname, k);
    *rank = r;
    *size = n;
    return FERRY_OK;
}

const char *pmi_client_kvsname(void)
{
    return pmi.kvsname;
}

int pmi_client_is_singleton(void)
{
    return pmi.fd < 0;
}

int pmi_client_put(const char *key, const char *val)
{
    if (strlen(key) >= PMI_KEYLEN_MAX || strlen(val) >= PMI_VALLEN_MAX) return FERRY_ERR_INVALID;
    if (pmi.fd < 0) {
        struct kv *kv = realloc(pmi.kv, (pmi.nkv + 1) * sizeof *kv);
        if (!kv) return FERRY_ERR_NOMEM;
        pmi.kv = kv;
        kv[pmi.nkv].key = strdup(key);
        kv[pmi.nkv].val = strdup(val);
        if (!kv[pmi.nkv].key || !kv[pmi.nkv].val) return FERRY_ERR_NOMEM;
        pmi.nkv++;
        return FERRY_OK;
    }
    struct pmi_msg m;
    int rc = call(&m, "put_result", "put", "kvsname", pmi.kvsname, "key", key, "value", val, NULL);
    return rc ? FERRY_ERR_WIREUP : FERRY_OK;
}

/* Wait for the answer of kind k, calling progress() meanwhile; when
 * idle, wait for the launcher's line without the big lock. */
static int await_answer(struct pmi_msg *m, struct kind *k, const char *cmd, int (*progress)(void))
{
    for (;;) {
        if (k->stashed) {
            pmi_msg_copy(m, &k->msg);
            k->stashed = 0;
            return FERRY_OK;
        }
        int rc = pmi_next_msg(&pmi.rd, m);
        if (rc == 1 && (take_event(m) || stash_for_other(m, k))) continue;
        if (rc == 1) return FERRY_OK;
        if (rc == 0) rc = pmi_reader_fill(&pmi.rd);
        if (rc < 0) {
            ferry_log("PMI: no answer to %s: %s", cmd, pmi_wire_strerror(rc));
            return FERRY_ERR_WIREUP;
        }
        if (rc == 0 && progress() == 0) {
            int depth = lock_release_all();
            struct pollfd pfd = {pmi.fd, POLLIN, 0};
            poll(&pfd, 1, 1);
            lock_reacquire(depth);
        }
    }
}

/* Called under the big lock, if any. */
int pmi_client_request(struct pmi_msg *ans, const char *expect, int (*progress)(void),
                       const char *cmd, const char *k1, const char *v1, const char *k2,
                       const char *v2)
{
    if (pmi.fd < 0) return FERRY_ERR_WIREUP;
    struct kind *k = kind_of(expect);
    if (!k) return FERRY_ERR_INVALID;
    /* Queue for the turn without the big lock: its holder needs it. */
    int depth = lock_release_all();
    pthread_mutex_lock(&k->turn);
    lock_reacquire(depth);
    int rc = FERRY_ERR_WIREUP;
    if (pmi_send(pmi.fd, cmd, k1, v1, k2, v2, NULL) == 0) {
        k->waiting = 1;
        awaiting++;
        rc = await_answer(ans, k, cmd, progress);
        awaiting--;
        k->waiting = 0;
    }
    pthread_mutex_unlock(&k->turn);
    if (!rc && strcmp(ans->cmd, expect) != 0) {
        ferry_log("PMI: answer to %s was %s, expected %s", cmd, ans->cmd, expect);
        rc = FERRY_ERR_WIREUP;
    }
    return rc;
}

int pmi_client_fence_progress(int (*progress)(void))
{
    struct pmi_msg m;
    if (pmi.fd < 0) return FERRY_OK;
    return pmi_client_request(&m, "barrier_out", progress, "barrier_in", NULL, NULL, NULL, NULL)
               ? FERRY_ERR_WIREUP
               : FERRY_OK;
}

int pmi_client_fence(void)
{
    if (pmi.fd < 0) return FERRY_OK;
    struct pmi_msg m;
    return call(&m, "barrier_out", "barrier_in", NULL) ? FERRY_ERR_WIREUP : FERRY_OK;
}

int pmi_client_get(const char *key, char *val, size_t cap)
{
    const char *v = NULL;
    struct pmi_msg m;
    if (pmi.fd < 0) {
        for (size_t i = 0; i < pmi.nkv && !v; i++)
            if (strcmp(pmi.kv[i].key, key) == 0) v = pmi.kv[i].val;
        if (!v) return FERRY_ERR_NOT_FOUND;
    } else {
        int rc = call(&m, "get_result", "get", "kvsname", pmi.kvsname, "key", key, NULL);
        if (rc) return rc == FERRY_ERR_NOT_FOUND ? rc : FERRY_ERR_WIREUP;
        v = pmi_get(&m, "value");
        if (!v) return FERRY_ERR_WIREUP;
    }
    if (strlen(v) >= cap) return FERRY_ERR_INVALID;
    strcpy(val, v);
    return FERRY_OK;
}

int pmi_client_abort(int code, const char *msg)
{
    if (pmi.fd < 0) return FERRY_OK;
    char c[16];
    snprintf(c, sizeof c, "%d", code);
    /* No answer comes: the launcher ends the job. */
    return pmi_send(pmi.fd, "abort", "exitcode", c, NULL) ? FERRY_ERR_WIREUP : FERRY_OK;
}

int pmi_client_finalize(void)
{
    for (size_t i = 0; i < pmi.nkv; i++) {
        free(pmi.kv[i].key);
        free(pmi.kv[i].val);
    }
    free(pmi.kv);
    pmi.kv = NULL;
    pmi.nkv = 0;
    if (pmi.fd < 0) return FERRY_OK;
    struct pmi_msg m;
    int rc = call(&m, "finalize_ack", "finalize", NULL);
    close(pmi.fd);
    pmi.fd = -1;
    return rc ? FERRY_ERR_WIREUP : FERRY_OK;
}
