/* A chained hash table that doubles when it fills: ranks put a few keys each
 * and every rank may get every key, so look-ups must not be linear. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/kvs.h"

/* A rank that puts without end must not exhaust the launcher's memory. */
#define KVS_BYTES_MAX ((size_t)256 << 20)

struct entry {
    struct entry *next;
    uint64_t hash;
    char *val;
    char key[]; /* key, then val, in one allocation */
};

struct kvs {
    struct entry **slots;
    size_t nslots, count, bytes;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

struct kvs *kvs_create(void)
{
    struct kvs *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    k->nslots = 64;
    k->slots = calloc(k->nslots, sizeof *k->slots);
    if (!k->slots) {
        free(k);
        return NULL;
    }
    return k;
}

void kvs_destroy(struct kvs *k)
{
    if (!k) return;
    for (size_t i = 0; i < k->nslots; i++) {
        struct entry *e = k->slots[i];
        while (e) {
            struct entry *next = e->next;
            free(e);
            e = next;
        }
    }
    free(k->slots);
    free(k);
}

static struct entry *find(const struct kvs *k, const char *key, uint64_t h)
{
    for (struct entry *e = k->slots[h & (k->nslots - 1)]; e; e = e->next)
        if (e->hash == h && strcmp(e->key, key) == 0) return e;
    return NULL;
}

static void grow(struct kvs *k)
{
    size_t n = k->nslots * 2;
    struct entry **slots = calloc(n, sizeof *slots);
    if (!slots) return; /* stay at this size: slower, still correct */
    for (size_t i = 0; i < k->nslots; i++) {
        struct entry *e = k->slots[i];
        while (e) {
            struct entry *next = e->next;
            e->next = slots[e->hash & (n - 1)];
            slots[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(k->slots);
    k->slots = slots;
    k->nslots = n;
}

int kvs_put(struct kvs *k, const char *key, const char *val)
{
    uint64_t h = fnv1a(key);
    if (find(k, key, h)) return -EEXIST;
    size_t klen = strlen(key) + 1, vlen = strlen(val) + 1;
    size_t need = sizeof(struct entry) + klen + vlen;
    if (need > KVS_BYTES_MAX - k->bytes) return -ENOSPC;
    struct entry *e = malloc(need);
    if (!e) return -ENOMEM;
    e->hash = h;
    memcpy(e->key, key, klen);
    e->val = e->key + klen;
    memcpy(e->val, val, vlen);
    e->next = k->slots[h & (k->nslots - 1)];
    k->slots[h & (k->nslots - 1)] = e;
    k->count++;
    k->bytes += need;
    if (k->count > k->nslots) grow(k);
    return 0;
}

const char *kvs_get(const struct kvs *k, const char *key)
{
    struct entry *e = find(k, key, fnv1a(key));
    return e ? e->val : NULL;
}

size_t kvs_count(const struct kvs *k)
{
    return k->count;
}
