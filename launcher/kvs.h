/* The job's key-value space behind PMI put/get: string keys to string
 * values, each key written once. */
#ifndef FERRY_LAUNCHER_KVS_H
#define FERRY_LAUNCHER_KVS_H

#include <stddef.h>

struct kvs;

struct kvs *kvs_create(void);
void kvs_destroy(struct kvs *k);
/* 0, -EEXIST when key is already there (PMI keys are written once),
 * -ENOSPC when the store is over its byte budget, -ENOMEM. */
int kvs_put(struct kvs *k, const char *key, const char *val);
/* The value of key, or NULL. */
const char *kvs_get(const struct kvs *k, const char *key);
size_t kvs_count(const struct kvs *k);

#endif
