#include <stdlib.h>
#include <string.h>

#include "launcher/jobspec.h"

/* Bounds on what a W_JOB may hold, so a bad frame cannot make an agent
 * allocate without end. */
#define MAX_ARGS  65536
#define MAX_STR   (1 << 20)
#define MAX_NODES (1 << 20)

static void put_strv(struct wbuf *b, char *const *v)
{
    uint32_t n = 0;
    while (v && v[n]) n++;
    wbuf_u32(b, n);
    for (uint32_t i = 0; i < n; i++) wbuf_str(b, v[i]);
}

void jobspec_encode(const struct jobspec *j, struct wbuf *b)
{
    wbuf_start(b, W_JOB);
    wbuf_str(b, j->kvsname);
    wbuf_str(b, j->mapping);
    wbuf_u32(b, (uint32_t)j->map.np);
    wbuf_u32(b, (uint32_t)j->map.nnodes);
    for (int n = 0; n < j->map.nnodes; n++) wbuf_str(b, j->map.name[n]);
    for (int r = 0; r < j->map.np; r++) wbuf_u32(b, (uint32_t)j->map.node_of[r]);
    wbuf_u32(b, (uint32_t)j->ntree);
    wbuf_u32(b, (uint32_t)j->fanout);
    for (int t = 0; t < j->ntree; t++) wbuf_u32(b, (uint32_t)j->tree_node[t]);
    put_strv(b, j->exec_argv);
    wbuf_str(b, j->ferryd);
    wbuf_str(b, j->cwd);
    wbuf_str(b, j->path);
    put_strv(b, j->argv);
    wbuf_u32(b, (uint32_t)j->nenv);
    for (int i = 0; i < j->nenv; i++) {
        wbuf_str(b, j->env[i].name);
        wbuf_str(b, j->env[i].value);
    }
    wbuf_u32(b, (uint32_t)j->verbose);
    wbuf_u32(b, (uint32_t)j->bind);
    wbuf_u32(b, (uint32_t)j->no_abort);
    wbuf_finish(b);
}

static char **get_strv(struct wread *r)
{
    uint32_t n = wread_u32(r);
    if (r->bad || n > MAX_ARGS || n > r->left / 4) {
        r->bad = 1;
        return NULL;
    }
    char **v = calloc((size_t)n + 1, sizeof *v);
    if (!v) {
        r->bad = 1;
        return NULL;
    }
    for (uint32_t i = 0; i < n && !r->bad; i++) v[i] = wread_strdup(r, MAX_STR);
    return v;
}

static void free_strv(char **v)
{
    for (size_t i = 0; v && v[i]; i++) free(v[i]);
    free(v);
}

void jobspec_free(struct jobspec *j)
{
    free(j->kvsname);
    free(j->mapping);
    map_free(&j->map);
    free(j->tree_node);
    free(j->tree_of);
    free_strv(j->exec_argv);
    free(j->ferryd);
    free(j->cwd);
    free(j->path);
    free_strv(j->argv);
    for (int i = 0; j->env && i < j->nenv; i++) {
        free((char *)j->env[i].name);
        free((char *)j->env[i].value);
    }
    free(j->env);
    memset(j, 0, sizeof *j);
}

/* The map from node_of: nodes' rank lists, each node non-empty. */
static int build_map(struct job_map *m)
{
    m->count = calloc((size_t)m->nnodes, sizeof *m->count);
    m->ranks = calloc((size_t)m->nnodes, sizeof *m->ranks);
    if (!m->count || !m->ranks) return -1;
    for (int r = 0; r < m->np; r++) {
        if (m->node_of[r] < 0 || m->node_of[r] >= m->nnodes) return -1;
        m->count[m->node_of[r]]++;
    }
    for (int n = 0; n < m->nnodes; n++) {
        if (m->count[n] < 1 || m->count[n] > HOST_RANKS_MAX) return -1;
        if (!(m->ranks[n] = malloc((size_t)m->count[n] * sizeof(int)))) return -1;
        m->count[n] = 0;
    }
    for (int r = 0; r < m->np; r++) m->ranks[m->node_of[r]][m->count[m->node_of[r]]++] = r;
    return 0;
}

int jobspec_decode(struct jobspec *j, const uint8_t *body, size_t len)
{
    memset(j, 0, sizeof *j);
    struct wread r;
    wread_init(&r, body, len);
    j->kvsname = wread_strdup(&r, 256);
    j->mapping = wread_strdup(&r, MAX_STR);
    uint32_t np = wread_u32(&r), nn = wread_u32(&r);
    if (r.bad || np < 1 || nn < 1 || nn > np || nn > MAX_NODES || np > r.left / 4) goto bad;
    j->map.np = (int)np;
    j->map.nnodes = (int)nn;
    if (!(j->map.name = calloc(nn, sizeof *j->map.name))) goto bad;
    for (uint32_t n = 0; n < nn && !r.bad; n++)
        j->map.name[n] = wread_strdup(&r, HOST_NAME_MAX_LEN);
    if (r.bad || !(j->map.node_of = malloc(np * sizeof(int)))) goto bad;
    for (uint32_t k = 0; k < np; k++) j->map.node_of[k] = (int)wread_u32(&r);
    if (r.bad || build_map(&j->map)) goto bad;
    uint32_t nt = wread_u32(&r), fan = wread_u32(&r);
    if (r.bad || nt < 1 || nt > nn + 1 || fan < 1 || fan > 1024 || nt > r.left / 4) goto bad;
    j->ntree = (int)nt;
    j->fanout = (int)fan;
    if (!(j->tree_node = malloc(nt * sizeof(int)))) goto bad;
    for (uint32_t t = 0; t < nt; t++) {
        j->tree_node[t] = (int)wread_u32(&r);
        if (j->tree_node[t] >= (int)nn || (t > 0 && j->tree_node[t] < 0)) goto bad;
    }
    j->exec_argv = get_strv(&r);
    j->ferryd = wread_strdup(&r, 4096);
    j->cwd = wread_strdup(&r, 4096);
    j->path = wread_strdup(&r, 4096);
    j->argv = get_strv(&r);
    uint32_t ne = wread_u32(&r);
    if (r.bad || !j->exec_argv || !j->exec_argv[0] || !j->argv || !j->argv[0] || ne > MAX_ARGS ||
        ne > r.left / 8)
        goto bad;
    j->env = calloc((size_t)ne + 1, sizeof *j->env);
    if (!j->env) goto bad;
    j->nenv = (int)ne;
    for (uint32_t i = 0; i < ne && !r.bad; i++) {
        j->env[i].name = wread_strdup(&r, 4096);
        j->env[i].value = wread_strdup(&r, MAX_STR);
    }
    j->verbose = wread_u32(&r) != 0;
    j->bind = (int)wread_u32(&r);
    j->no_abort = wread_u32(&r) != 0;
    if (!wread_done(&r) || j->bind < JOB_BIND_DEFAULT || j->bind > JOB_BIND_NONE) goto bad;
    for (int i = 0; i < j->nenv; i++)
        if (!*j->env[i].name || strchr(j->env[i].name, '=')) goto bad;
    if (jobspec_index(j) != 0) goto bad;
    return 0;
bad:
    jobspec_free(j);
    return -1;
}

int jobspec_index(struct jobspec *j)
{
    free(j->tree_of);
    j->tree_of = malloc((size_t)j->map.nnodes * sizeof *j->tree_of);
    if (!j->tree_of) return -1;
    for (int n = 0; n < j->map.nnodes; n++) j->tree_of[n] = -1;
    for (int t = 0; t < j->ntree; t++) {
        int n = j->tree_node[t];
        if (n < 0) continue;
        if (j->tree_of[n] >= 0) return -1; /* a node served twice */
        j->tree_of[n] = t;
    }
    return 0;
}

int jobspec_tree_of_node(const struct jobspec *j, int node)
{
    return node >= 0 && node < j->map.nnodes ? j->tree_of[node] : -1;
}

int jobspec_in_subtree(const struct jobspec *j, int t, int rank)
{
    if (rank < 0 || rank >= j->map.np) return 0;
    int u = jobspec_tree_of_node(j, j->map.node_of[rank]);
    return u >= 0 && (u == t || tree_route(t, u, j->fanout) >= 0);
}

int tree_parent(int t, int fanout)
{
    return t <= 0 ? -1 : (t - 1) / fanout;
}

int tree_route(int self, int t, int fanout)
{
    while (t > 0) {
        int p = tree_parent(t, fanout);
        if (p == self) return t;
        t = p;
    }
    return -1;
}
