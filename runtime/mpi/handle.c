/* Handle tables: an index into an array of object pointers, reused LIFO. */
#include <stdlib.h>

#include "runtime/mpi/mpi_impl.h"

void htab_init(struct htab *t, enum hkind kind, uint32_t npredefined)
{
    *t = (struct htab){.kind = kind, .first = npredefined};
    /* Index 0 of every kind is its null handle; never handed out. */
    t->n = npredefined ? npredefined : 1;
    t->cap = t->n < 16 ? 16 : t->n;
    t->slot = calloc(t->cap, sizeof *t->slot);
    if (!t->slot) t->cap = t->n = 0;
}

void htab_set(struct htab *t, uint32_t idx, void *obj)
{
    if (idx < t->n) t->slot[idx] = obj;
}

int htab_add(struct htab *t, void *obj, int *handle)
{
    uint32_t i;
    if (t->nfree) {
        i = t->free[--t->nfree];
    } else {
        if (t->n == t->cap) {
            uint32_t cap = t->cap ? t->cap * 2 : 16;
            if (cap > H_INDEX_MASK) return MPI_ERR_NO_MEM;
            void **s = realloc(t->slot, cap * sizeof *s);
            if (!s) return MPI_ERR_NO_MEM;
            t->slot = s;
            t->cap = cap;
        }
        i = t->n++;
    }
    t->slot[i] = obj;
    *handle = H_MAKE(t->kind, i);
    return MPI_SUCCESS;
}

void htab_del(struct htab *t, int handle)
{
    uint32_t i = H_INDEX(handle);
    if (!H_IS_KIND(handle, t->kind) || i < t->first || i >= t->n || !t->slot[i]) return;
    t->slot[i] = NULL;
    if (t->nfree == t->capfree) {
        uint32_t cap = t->capfree ? t->capfree * 2 : 16;
        uint32_t *f = realloc(t->free, cap * sizeof *f);
        /* Without room to remember it, the index is simply not reused. */
        if (!f) return;
        t->free = f;
        t->capfree = cap;
    }
    t->free[t->nfree++] = i;
}

void htab_fini(struct htab *t)
{
    free(t->slot);
    free(t->free);
    *t = (struct htab){.kind = t->kind};
}
