/* Handle tables: a handle is kind << 26 | index into its kind's table. */
#ifndef FERRY_MPI_HANDLE_H
#define FERRY_MPI_HANDLE_H

#include <stdint.h>

enum hkind {
    HK_COMM = 1,
    HK_GROUP = 2,
    HK_DTYPE = 3,
    HK_REQ = 4,
    HK_ERRH = 5,
    HK_INFO = 6,
    HK_MSG = 7,
    HK_OP = 8,
    HK_KEYVAL = 10,
};
#define H_SHIFT         26
#define H_INDEX_MASK    ((1u << H_SHIFT) - 1)
#define H_MAKE(k, i)    ((int)((unsigned)(k) << H_SHIFT | (unsigned)(i)))
#define H_INDEX(h)      ((unsigned)(h)&H_INDEX_MASK)
#define H_IS_KIND(h, k) (((unsigned)(h) >> H_SHIFT) == (unsigned)(k))

struct htab {
    void **slot;
    uint32_t n, cap; /* slots in use up to n (some may be free), allocated */
    uint32_t *free;  /* free indices below n */
    uint32_t nfree, capfree;
    enum hkind kind;
    uint32_t first; /* indices below this are predefined */
};

void htab_init(struct htab *t, enum hkind kind, uint32_t npredefined);
/* Place a predefined object at a fixed index. */
void htab_set(struct htab *t, uint32_t idx, void *obj);
/* A new handle for obj; MPI_ERR_NO_MEM when the table cannot grow. */
int htab_add(struct htab *t, void *obj, int *handle);
void htab_del(struct htab *t, int handle);
void htab_fini(struct htab *t);

static inline void *htab_get(const struct htab *t, int h)
{
    if (!H_IS_KIND(h, t->kind)) return NULL;
    uint32_t i = H_INDEX(h);
    return i < t->n ? t->slot[i] : NULL;
}

#endif
