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
    return FERRY_OK;
}

void world_free(struct ferry_world *w)
{
    free(w->local_ranks);
    free(w->local_index);
    free(w->peers);
    w->local_ranks = w->local_index = NULL;
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
