#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/hosts.h"

#define SLOTS_MAX 1000000

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int name_ok(const char *s, size_t n)
{
    if (n == 0 || n > HOST_NAME_MAX_LEN || s[0] == '-') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(c == '.' || c == '-' || c == '_' || (c >= '0' && c <= '9') ||
              (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return 0;
    }
    return 1;
}

/* A positive count of at most SLOTS_MAX, and nothing else. */
static int count_ok(const char *s, size_t n, int *out)
{
    if (n == 0 || n > 7) return 0;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > SLOTS_MAX) return 0;
    *out = (int)v;
    return 1;
}

static int add(struct hostlist *l, const char *name, size_t n, int slots)
{
    for (int i = 0; i < l->n; i++)
        if (strlen(l->h[i].name) == n && strncmp(l->h[i].name, name, n) == 0) {
            l->h[i].slots = l->h[i].slots + slots > SLOTS_MAX ? SLOTS_MAX : l->h[i].slots + slots;
            return 0;
        }
    struct host *h = realloc(l->h, (size_t)(l->n + 1) * sizeof *h);
    if (!h) return -1;
    l->h = h;
    if (!(h[l->n].name = strndup(name, n))) return -1;
    h[l->n++].slots = slots;
    return 0;
}

int hosts_parse_list(const char *spec, struct hostlist *out, char *err, size_t errlen)
{
    if (!*spec) return fail(err, errlen, "--host: empty host list");
    for (const char *p = spec;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        size_t nlen = colon ? (size_t)(colon - p) : len;
        int slots = 1;
        if (!name_ok(p, nlen))
            return fail(err, errlen, "--host: bad host name '%.*s'", (int)nlen, p);
        if (colon && !count_ok(colon + 1, len - nlen - 1, &slots))
            return fail(err, errlen, "--host: bad slot count in '%.*s' (expected host:N, N >= 1)",
                        (int)len, p);
        if (add(out, p, nlen, slots)) return fail(err, errlen, "out of memory");
        if (!comma) break;
        p = comma + 1;
    }
    return 0;
}

/* One hostfile line without its comment. 1 when it named a host, 0 when
 * blank, -1 on error. */
static int parse_line(char *line, const char *name, int lineno, struct hostlist *out, char *err,
                      size_t errlen)
{
    char *save = NULL, *tok = strtok_r(line, " \t\r", &save);
    if (!tok) return 0;
    char *colon = strchr(tok, ':');
    size_t nlen = colon ? (size_t)(colon - tok) : strlen(tok);
    int slots = 1;
    if (!name_ok(tok, nlen))
        return fail(err, errlen, "%s:%d: bad host name '%.*s'", name, lineno, (int)nlen, tok);
    if (colon && !count_ok(colon + 1, strlen(colon + 1), &slots))
        return fail(err, errlen, "%s:%d: bad slot count in '%s' (expected host:N, N >= 1)", name,
                    lineno, tok);
    for (char *f; (f = strtok_r(NULL, " \t\r", &save));) {
        int v;
        if (strncmp(f, "slots=", 6) == 0 && count_ok(f + 6, strlen(f + 6), &v))
            slots = v;
        else if (strncmp(f, "max_slots=", 10) == 0 && count_ok(f + 10, strlen(f + 10), &v))
            ; /* Open MPI's cap: accepted, the map never exceeds slots anyway */
        else
            return fail(err, errlen, "%s:%d: unexpected '%s' (expected 'host slots=N', N >= 1)",
                        name, lineno, f);
    }
    if (add(out, tok, nlen, slots)) return fail(err, errlen, "out of memory");
    return 1;
}

int hosts_parse_text(const char *text, const char *name, struct hostlist *out, char *err,
                     size_t errlen)
{
    int lineno = 0, hosts = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        char *line = strndup(p, len);
        if (!line) return fail(err, errlen, "out of memory");
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        int rc = memchr(p, '\0', len) ? -1 : parse_line(line, name, lineno, out, err, errlen);
        free(line);
        if (rc < 0) return -1;
        hosts += rc;
        if (!nl) break;
        p = nl + 1;
    }
    if (!hosts) return fail(err, errlen, "%s: no hosts in it", name);
    return 0;
}

int hosts_parse_file(const char *path, struct hostlist *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) return fail(err, errlen, "--hostfile %s: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    for (size_t n; text && (n = fread(text + len, 1, cap - len - 1, f)) > 0;) {
        len += n;
        if (len + 1 == cap) {
            if (cap >= ((size_t)16 << 20)) break; /* no real hostfile is this long */
            char *t = realloc(text, cap *= 2);
            if (!t) {
                free(text);
                text = NULL;
            } else {
                text = t;
            }
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!text) return fail(err, errlen, "out of memory");
    text[len] = '\0';
    int rc = bad ? fail(err, errlen, "--hostfile %s: read error", path)
             : strlen(text) != len
                 ? fail(err, errlen, "--hostfile %s: not a text file (NUL byte)", path)
                 : hosts_parse_text(text, path, out, err, errlen);
    free(text);
    return rc;
}

void hosts_free(struct hostlist *l)
{
    for (int i = 0; i < l->n; i++) free(l->h[i].name);
    free(l->h);
    l->h = NULL;
    l->n = 0;
}

void map_free(struct job_map *m)
{
    for (int i = 0; i < m->nnodes; i++) {
        if (m->name) free(m->name[i]);
        if (m->ranks) free(m->ranks[i]);
    }
    free(m->name);
    free(m->count);
    free(m->ranks);
    free(m->node_of);
    memset(m, 0, sizeof *m);
}

int map_ranks(const struct hostlist *hl, int np, int ppn, enum map_by by, int oversubscribe,
              struct job_map *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    int nh = hl->n;
    if (nh < 1) return fail(err, errlen, "no hosts to run on");
    long total = 0;
    for (int i = 0; i < nh; i++) total += ppn > 0 ? ppn : hl->h[i].slots;
    if (np <= 0) np = total > HOST_RANKS_MAX * (long)nh ? HOST_RANKS_MAX * nh : (int)total;
    if (np > total && !oversubscribe)
        return fail(err, errlen,
                    "%d ranks do not fit the %ld slots of the hosts given (add --oversubscribe "
                    "to place more ranks than slots)",
                    np, total);
    int *host_of = malloc((size_t)np * sizeof *host_of), *used = calloc((size_t)nh, sizeof *used);
    if (!host_of || !used) {
        free(host_of);
        free(used);
        return fail(err, errlen, "out of memory");
    }
    /* Rounds: the first fills the slots, later ones (oversubscribing) add
     * as many again. */
    int r = 0;
    for (int round = 1; r < np; round++) {
        if (by == MAP_BY_SLOT) {
            for (int h = 0; h < nh && r < np; h++) {
                int cap = (ppn > 0 ? ppn : hl->h[h].slots) * round;
                while (used[h] < cap && r < np) host_of[r++] = h, used[h]++;
            }
        } else {
            for (int progress = 1; progress && r < np;) {
                progress = 0;
                for (int h = 0; h < nh && r < np; h++) {
                    int cap = (ppn > 0 ? ppn : hl->h[h].slots) * round;
                    if (used[h] < cap) host_of[r++] = h, used[h]++, progress = 1;
                }
            }
        }
    }
    int *node_of_host = malloc((size_t)nh * sizeof(int));
    int nn = 0;
    for (int h = 0; node_of_host && h < nh; h++) node_of_host[h] = used[h] ? nn++ : -1;
    m->np = np;
    m->nnodes = nn;
    m->node_of = host_of;
    m->name = calloc((size_t)nn, sizeof *m->name);
    m->count = calloc((size_t)nn, sizeof *m->count);
    m->ranks = calloc((size_t)nn, sizeof *m->ranks);
    int rc = 0;
    if (!node_of_host || !m->name || !m->count || !m->ranks)
        rc = fail(err, errlen, "out of memory");
    for (int h = 0; !rc && h < nh; h++) {
        int n = node_of_host[h];
        if (n < 0) continue;
        if (used[h] > HOST_RANKS_MAX) {
            rc = fail(err, errlen, "host %s would run %d ranks; one node runs at most %d",
                      hl->h[h].name, used[h], HOST_RANKS_MAX);
            break;
        }
        m->name[n] = strdup(hl->h[h].name);
        m->ranks[n] = malloc((size_t)used[h] * sizeof(int));
        if (!m->name[n] || !m->ranks[n]) rc = fail(err, errlen, "out of memory");
    }
    for (int i = 0; !rc && i < np; i++) {
        int n = node_of_host[host_of[i]];
        m->node_of[i] = n;
        m->ranks[n][m->count[n]++] = i;
    }
    free(node_of_host);
    free(used);
    if (rc) map_free(m);
    return rc;
}

int map_process_mapping(const struct job_map *m, char *buf, size_t cap)
{
    /* Runs of consecutive ranks on one node become (node, 1, run); a run
     * that continues the previous triple's pattern on the next node widens
     * it: (node, nodes + 1, run). */
    size_t len = 0;
    int w = snprintf(buf, cap, "(vector");
    if (w < 0 || (size_t)w >= cap) return -1;
    len = (size_t)w;
    int tn = -1, tk = 0, tc = 0; /* the open triple */
    for (int r = 0; r <= m->np; r++) {
        int node = -1, run = 0;
        if (r < m->np) {
            node = m->node_of[r];
            run = 1;
            while (r + run < m->np && m->node_of[r + run] == node) run++;
        }
        if (tn >= 0 && node == tn + tk && run == tc) {
            tk++;
        } else {
            if (tn >= 0) {
                w = snprintf(buf + len, cap - len, ",(%d,%d,%d)", tn, tk, tc);
                if (w < 0 || (size_t)w >= cap - len) return -1;
                len += (size_t)w;
            }
            tn = node, tk = 1, tc = run;
        }
        if (r < m->np) r += run - 1;
    }
    w = snprintf(buf + len, cap - len, ")");
    return w < 0 || (size_t)w >= cap - len ? -1 : 0;
}
