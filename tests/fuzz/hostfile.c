/* Where a job runs (launcher/hosts.c): hostfiles and --host lists as the
 * user writes them, then the map of ranks to nodes and its PMI
 * process-mapping string. A list either fails with a reason or holds
 * distinct, well-formed hosts; a map places every rank once, on a node
 * with room unless oversubscribing; the mapping string, read back, gives
 * the same map.
 *
 * Input: [mode][np:2][ppn][cap:2][text]. Mode bit 0: a hostfile (else a
 * --host list); bit 1: map by node; bit 2: oversubscribe. */
#include <stdio.h>

#include "launcher/hosts.h"
#include "tests/fuzz/fuzz.h"

static int slots_of(const struct hostlist *hl, const char *name)
{
    for (int i = 0; i < hl->n; i++)
        if (strcmp(hl->h[i].name, name) == 0) return hl->h[i].slots;
    return -1;
}

/* "(vector,(node,nodes,ranks),...)" expanded into node_of; 0 when it
 * matches m. */
static int mapping_matches(const char *s, const struct job_map *m)
{
    if (strncmp(s, "(vector", 7) != 0) return -1;
    s += 7;
    int r = 0, n, k, c, used;
    while (sscanf(s, ",(%d,%d,%d)%n", &n, &k, &c, &used) == 3) {
        s += used;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < c; j++, r++)
                if (r >= m->np || m->node_of[r] != n + i) return -1;
    }
    return strcmp(s, ")") == 0 && r == m->np ? 0 : -1;
}

static void check_map(const struct hostlist *hl, const struct job_map *m, int np, int ppn,
                      int oversubscribe, size_t cap)
{
    long total = 0;
    for (int i = 0; i < hl->n; i++) total += ppn > 0 ? ppn : hl->h[i].slots;
    if (!np) np = total > (long)HOST_RANKS_MAX * hl->n ? HOST_RANKS_MAX * hl->n : (int)total;
    FUZZ_CHECK(m->np == np && m->nnodes >= 1 && m->nnodes <= hl->n);
    int placed = 0;
    for (int n = 0; n < m->nnodes; n++) {
        int slots = slots_of(hl, m->name[n]);
        FUZZ_CHECK(slots > 0 && m->count[n] >= 1 && m->count[n] <= HOST_RANKS_MAX);
        FUZZ_CHECK(oversubscribe || m->count[n] <= (ppn > 0 ? ppn : slots));
        for (int i = 0; i < m->count[n]; i++) {
            int r = m->ranks[n][i];
            FUZZ_CHECK(r >= 0 && r < np && m->node_of[r] == n &&
                       (i == 0 || r > m->ranks[n][i - 1]));
        }
        placed += m->count[n];
    }
    FUZZ_CHECK(placed == np);
    char *buf = malloc(cap);
    FUZZ_CHECK(buf != NULL);
    if (map_process_mapping(m, buf, cap) == 0)
        FUZZ_CHECK(strlen(buf) < cap && mapping_matches(buf, m) == 0);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    uint8_t mode = fz_u8(&f);
    int np = fz_u16(&f) % 5000, ppn = fz_u8(&f) % 8;
    size_t cap = fz_u16(&f) % 4096 + 1;
    char *text = malloc(f.n + 1);
    FUZZ_CHECK(text != NULL);
    memcpy(text, f.p, f.n);
    text[f.n] = '\0';

    struct hostlist hl = {0};
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = mode & 1 ? hosts_parse_text(text, "fuzz-hosts", &hl, err, sizeof err)
                      : hosts_parse_list(text, &hl, err, sizeof err);
    if (rc != 0) {
        FUZZ_CHECK(rc == -1 && memchr(err, '\0', sizeof err) && err[0]);
    } else {
        FUZZ_CHECK(hl.n >= 1);
        for (int i = 0; i < hl.n; i++) {
            const char *name = hl.h[i].name;
            FUZZ_CHECK(name && *name && *name != '-' && strlen(name) <= HOST_NAME_MAX_LEN);
            FUZZ_CHECK(strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789.-_") == strlen(name));
            FUZZ_CHECK(hl.h[i].slots >= 1 && slots_of(&hl, name) == hl.h[i].slots);
            for (int j = 0; j < i; j++) FUZZ_CHECK(strcmp(hl.h[j].name, name) != 0);
        }
        struct job_map m;
        int oversubscribe = mode >> 2 & 1;
        if (map_ranks(&hl, np, ppn, mode & 2 ? MAP_BY_NODE : MAP_BY_SLOT, oversubscribe, &m, err,
                      sizeof err) == 0) {
            check_map(&hl, &m, np, ppn, oversubscribe, cap);
            map_free(&m);
        }
    }
    hosts_free(&hl);
    free(text);
    return 0;
}
