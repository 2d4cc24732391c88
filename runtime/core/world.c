#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "include/ferry.h"
#include "runtime/core/world.h"

struct ferry_world ferry_w;

int world_set_nodes(struct ferry_world *w, char *const *node_keys)
{
    w->local_ranks = calloc((size_t)w->size, sizeof(int));
    w->local_index = calloc((size_t)w->size, sizeof(int));
    if (!w->local_ranks || !w->local_index) return FERRY_ERR_NOMEM;
    w->local_size = 0;
    for (int r = 0; r < w->size; r++) {
        if (strcmp(node_keys[r], node_keys[w->rank]) == 0) {
            w->local_index[r] = w->local_size;
            w->local_ranks[w->local_size++] = r;
        } else {
            w->local_index[r] = -1;
        }
    }
    w->local_rank = w->local_index[w->rank];
    /* Every rank's node, named by its lowest rank: node-aware collectives
     * need the whole map, not only this node's part. */
    w->node_of = calloc((size_t)w->size, sizeof(int));
    int *leaders = calloc((size_t)w->size, sizeof(int));
    if (!w->node_of || !leaders) {
        free(leaders);
        return FERRY_ERR_NOMEM;
    }
    int nl = 0;
    for (int r = 0; r < w->size; r++) {
        int j = 0;
        while (j < nl && strcmp(node_keys[leaders[j]], node_keys[r]) != 0) j++;
        if (j == nl) leaders[nl++] = r;
        w->node_of[r] = leaders[j];
    }
    free(leaders);
    return FERRY_OK;
}

void world_free(struct ferry_world *w)
{
    free(w->local_ranks);
    free(w->local_index);
    free(w->node_of);
    free(w->peers);
    w->local_ranks = w->local_index = w->node_of = NULL;
    w->peers = NULL;
}

void ferry_log(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(line, sizeof line, "ferry[%d]: ", ferry_w.rank);
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}
