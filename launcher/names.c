#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/names.h"

struct entry {
    char *name;
    char port[NAMES_PORT_MAX + 1];
    int owner;
};

struct waiter {
    char *name; /* NULL: the rank waits for nothing */
    int64_t deadline;
};

struct names {
    struct entry *v; /* few names per job: a plain array */
    size_t n, cap;
    struct waiter *w; /* [nranks] */
    int nranks;
};

struct names *names_create(int nranks)
{
    struct names *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->nranks = nranks;
    n->w = calloc((size_t)nranks, sizeof *n->w);
    if (!n->w) {
        free(n);
        return NULL;
    }
    return n;
}

void names_destroy(struct names *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->n; i++) free(n->v[i].name);
    for (int r = 0; r < n->nranks; r++) free(n->w[r].name);
    free(n->v);
    free(n->w);
    free(n);
}

int names_valid(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len < 1 || len > NAMES_NAME_MAX) return 0;
    for (; *s; s++)
        if (*s <= ' ' || *s == '=' || *s > '~') return 0;
    return 1;
}

static struct entry *find(const struct names *n, const char *name)
{
    for (size_t i = 0; i < n->n; i++)
        if (strcmp(n->v[i].name, name) == 0) return &n->v[i];
    return NULL;
}

int names_register(struct names *n, const char *name, const char *port, int owner)
{
    if (find(n, name)) return -EEXIST;
    if (n->n == NAMES_MAX) return -ENOSPC;
    if (strlen(port) > NAMES_PORT_MAX) return -EINVAL;
    if (n->n == n->cap) {
        size_t cap = n->cap ? 2 * n->cap : 16;
        struct entry *v = realloc(n->v, cap * sizeof *v);
        if (!v) return -ENOMEM;
        n->v = v;
        n->cap = cap;
    }
    struct entry *e = &n->v[n->n];
    if (!(e->name = strdup(name))) return -ENOMEM;
    strcpy(e->port, port);
    e->owner = owner;
    n->n++;
    return 0;
}

int names_unregister(struct names *n, const char *name, int owner)
{
    struct entry *e = find(n, name);
    if (!e) return -ENOENT;
    if (e->owner != owner) return -EPERM;
    free(e->name);
    *e = n->v[--n->n];
    return 0;
}

const char *names_lookup(const struct names *n, const char *name)
{
    const struct entry *e = find(n, name);
    return e ? e->port : NULL;
}

int names_wait(struct names *n, int rank, const char *name, int64_t deadline)
{
    if (rank < 0 || rank >= n->nranks) return -EINVAL;
    char *copy = strdup(name);
    if (!copy) return -ENOMEM;
    free(n->w[rank].name);
    n->w[rank] = (struct waiter){copy, deadline};
    return 0;
}

static void clear(struct names *n, int rank)
{
    free(n->w[rank].name);
    n->w[rank].name = NULL;
}

int names_take_waiter(struct names *n, const char *name)
{
    for (int r = 0; r < n->nranks; r++)
        if (n->w[r].name && strcmp(n->w[r].name, name) == 0) {
            clear(n, r);
            return r;
        }
    return -1;
}

int names_take_expired(struct names *n, int64_t now)
{
    for (int r = 0; r < n->nranks; r++)
        if (n->w[r].name && n->w[r].deadline >= 0 && n->w[r].deadline <= now) {
            clear(n, r);
            return r;
        }
    return -1;
}

int64_t names_next_deadline(const struct names *n)
{
    int64_t next = -1;
    for (int r = 0; r < n->nranks; r++)
        if (n->w[r].name && n->w[r].deadline >= 0 && (next < 0 || n->w[r].deadline < next))
            next = n->w[r].deadline;
    return next;
}

void names_rank_gone(struct names *n, int rank)
{
    if (rank >= 0 && rank < n->nranks) clear(n, rank);
}

void names_serve(struct names *n, int rank, const char *cmd, const char *name, const char *port,
                 const char *timeout_ms, int64_t now, names_answer_fn fn, void *ctx)
{
    int rc;
    if (strcmp(cmd, "ferry_name_register") == 0) {
        const char *ans = "ferry_name_register_result";
        rc = port ? names_register(n, name, port, rank) : -EINVAL;
        if (rc == 0) {
            fn(ctx, rank, ans, "0", NULL, NULL);
            /* Lookups waiting for it are answered now. */
            int w;
            while ((w = names_take_waiter(n, name)) >= 0)
                fn(ctx, w, "ferry_name_lookup_result", "0", "port", port);
            return;
        }
        fn(ctx, rank, ans, "-1", "msg",
           rc == -EEXIST   ? "name_in_use"
           : rc == -ENOSPC ? "too_many_names"
           : rc == -EINVAL ? "bad_port"
                           : "out_of_memory");
    } else if (strcmp(cmd, "ferry_name_unregister") == 0) {
        const char *ans = "ferry_name_unregister_result";
        rc = names_unregister(n, name, rank);
        if (rc == 0)
            fn(ctx, rank, ans, "0", NULL, NULL);
        else
            fn(ctx, rank, ans, "-1", "msg", rc == -EPERM ? "not_owner" : "not_found");
    } else {
        const char *ans = "ferry_name_lookup_result";
        const char *p = names_lookup(n, name);
        long t = -1;
        if (timeout_ms) {
            char *end;
            t = strtol(timeout_ms, &end, 10);
            if (end == timeout_ms || *end) t = 0;
        }
        if (p)
            fn(ctx, rank, ans, "0", "port", p);
        else if (t == 0)
            fn(ctx, rank, ans, "-1", "msg", "not_found");
        else if (names_wait(n, rank, name, t < 0 ? -1 : now + t) != 0)
            fn(ctx, rank, ans, "-1", "msg", "out_of_memory");
    }
}

void names_expire(struct names *n, int64_t now, names_answer_fn fn, void *ctx)
{
    int r;
    while ((r = names_take_expired(n, now)) >= 0)
        fn(ctx, r, "ferry_name_lookup_result", "-1", "msg", "timeout");
}
