#include <stdlib.h>
#include <string.h>

#include "transports/ofi/filter.h"

/* Whether [name, name+len) is prov or one of its ';'-separated layers:
 * 2 for the whole name, 1 for a layer, 0 otherwise. */
static int names(const char *name, size_t len, const char *prov)
{
    if (len == 0) return 0;
    if (strlen(prov) == len && strncmp(prov, name, len) == 0) return 2;
    for (const char *p = prov; *p;) {
        const char *semi = strchr(p, ';');
        size_t l = semi ? (size_t)(semi - p) : strlen(p);
        if (l == len && strncmp(p, name, len) == 0) return 1;
        if (!semi) break;
        p = semi + 1;
    }
    return 0;
}

int ofi_filter_match(const char *spec, const char *prov)
{
    if (!spec || !*spec) return 1;
    int exclude = spec[0] == '^';
    if (exclude) spec++;
    int best = 0;
    for (const char *p = spec; *p;) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        int m = names(p, l, prov);
        if (m > best) best = m;
        if (!comma) break;
        p = comma + 1;
    }
    if (exclude) return best ? 0 : 1;
    return best;
}
