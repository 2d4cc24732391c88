/* The name service, client side: requests to the launcher (or whatever
 * agent serves this rank's PMI connection), which keeps the names. A job
 * of one keeps its names itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "include/ferry.h"
#include "runtime/core/api.h"
#include "runtime/core/world.h"
#include "runtime/progress/progress.h"
#include "runtime/wireup/pmi_client.h"
#include "runtime/wireup/pmi_wire.h"
#include "runtime/progress/lock.h"

#define NAME_MAX_LEN 255

/* A singleton's own names. */
static struct local_name {
    char *name;
    ferry_port_t port;
} * local;
static size_t nlocal;

static int name_ok(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len < 1 || len > NAME_MAX_LEN) return 0;
    for (; *s; s++)
        if (*s <= ' ' || *s == '=' || *s > '~') return 0;
    return 1;
}

static int check(const char *name)
{
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    return name_ok(name) ? FERRY_OK : FERRY_ERR_INVALID;
}

/* The launcher's rc=-1 reasons as Ferry errors. */
static int reason(const struct pmi_msg *m)
{
    long rc = -1;
    if (pmi_get_long(m, "rc", &rc) == PMI_WIRE_OK && rc == 0) return FERRY_OK;
    const char *why = pmi_get(m, "msg");
    if (!why) return FERRY_ERR_WIREUP;
    if (strcmp(why, "name_in_use") == 0) return FERRY_ERR_NAME_IN_USE;
    if (strcmp(why, "not_found") == 0 || strcmp(why, "not_owner") == 0) return FERRY_ERR_NOT_FOUND;
    if (strcmp(why, "timeout") == 0) return FERRY_ERR_TIMEOUT;
    if (strcmp(why, "too_many_names") == 0 || strcmp(why, "out_of_memory") == 0)
        return FERRY_ERR_NOMEM;
    return FERRY_ERR_INVALID;
}

/* Progress while the launcher answers: what it completes may be what a
 * parked thread of this rank waits for. */
static int serve(void)
{
    int n = progress_once();
    if (n && lock_on) lock_wake_parked(0);
    return n;
}

static struct local_name *local_find(const char *name)
{
    for (size_t i = 0; i < nlocal; i++)
        if (strcmp(local[i].name, name) == 0) return &local[i];
    return NULL;
}

FERRY_API int ferry_name_register(const char *name, ferry_port_t port)
{
    LOCKED();
    int rc = check(name);
    if (rc) return rc;
    if (port.rank >= (uint32_t)ferry_w.size || !port.gen) return FERRY_ERR_INVALID;
    if (pmi_client_is_singleton()) {
        if (local_find(name)) return FERRY_ERR_NAME_IN_USE;
        struct local_name *v = realloc(local, (nlocal + 1) * sizeof *v);
        if (!v) return FERRY_ERR_NOMEM;
        local = v;
        if (!(local[nlocal].name = strdup(name))) return FERRY_ERR_NOMEM;
        local[nlocal++].port = port;
        return FERRY_OK;
    }
    char p[48];
    snprintf(p, sizeof p, "%u:%u:%u", port.rank, port.index, port.gen);
    struct pmi_msg m;
    rc = pmi_client_request(&m, "ferry_name_register_result", serve, "ferry_name_register", "name",
                            name, "port", p);
    return rc ? rc : reason(&m);
}

FERRY_API int ferry_name_unregister(const char *name)
{
    LOCKED();
    int rc = check(name);
    if (rc) return rc;
    if (pmi_client_is_singleton()) {
        struct local_name *e = local_find(name);
        if (!e) return FERRY_ERR_NOT_FOUND;
        free(e->name);
        *e = local[--nlocal];
        return FERRY_OK;
    }
    struct pmi_msg m;
    rc = pmi_client_request(&m, "ferry_name_unregister_result", serve, "ferry_name_unregister",
                            "name", name, NULL, NULL);
    return rc ? rc : reason(&m);
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A job of one: only another thread of this rank can register the name.
 * Look again every millisecond, without the big lock in between. */
static int singleton_wait(const char *name, ferry_port_t *port, int timeout_ms)
{
    /* Without threads, a wait forever could never end. */
    if (timeout_ms == 0 || (timeout_ms < 0 && !lock_on)) return FERRY_ERR_NOT_FOUND;
    long long end = mono_ms() + timeout_ms;
    struct timespec ms = {0, 1000000L};
    for (;;) {
        int depth = lock_release_all();
        nanosleep(&ms, NULL);
        lock_reacquire(depth);
        struct local_name *e = local_find(name);
        if (e) {
            *port = e->port;
            return FERRY_OK;
        }
        if (timeout_ms > 0 && mono_ms() >= end) return FERRY_ERR_TIMEOUT;
    }
}

FERRY_API int ferry_name_lookup(const char *name, ferry_port_t *port, int timeout_ms)
{
    LOCKED();
    int rc = check(name);
    if (rc) return rc;
    if (!port || timeout_ms < FERRY_FOREVER) return FERRY_ERR_INVALID;
    if (pmi_client_is_singleton()) {
        struct local_name *e = local_find(name);
        if (e) {
            *port = e->port;
            return FERRY_OK;
        }
        return singleton_wait(name, port, timeout_ms);
    }
    char t[16];
    snprintf(t, sizeof t, "%d", timeout_ms);
    struct pmi_msg m;
    rc = pmi_client_request(&m, "ferry_name_lookup_result", serve, "ferry_name_lookup", "name",
                            name, "timeout_ms", t);
    if (rc || (rc = reason(&m))) return rc;
    const char *p = pmi_get(&m, "port");
    unsigned r, i, g;
    char extra;
    if (!p || sscanf(p, "%u:%u:%u%c", &r, &i, &g, &extra) != 3 || r >= (unsigned)ferry_w.size)
        return FERRY_ERR_WIREUP;
    *port = (ferry_port_t){r, i, g};
    return FERRY_OK;
}

void names_fini(void)
{
    for (size_t i = 0; i < nlocal; i++) free(local[i].name);
    free(local);
    local = NULL;
    nlocal = 0;
}
