/* The job's name service (Mach's bootstrap server): names bound to port
 * names, registered and looked up by ranks over their PMI connection, with
 * lookups that wait until the name appears or their time runs out. Pure
 * bookkeeping: the PMI server does the talking. */
#ifndef FERRY_LAUNCHER_NAMES_H
#define FERRY_LAUNCHER_NAMES_H

#include <stdint.h>

#define NAMES_NAME_MAX 255
#define NAMES_PORT_MAX 40    /* "rank:index:gen" */
#define NAMES_MAX      65536 /* names in one job */

struct names;

struct names *names_create(int nranks);
void names_destroy(struct names *n);

/* Whether s is a valid name (1..NAMES_NAME_MAX printable, no space or '='). */
int names_valid(const char *s);
/* 0, -EEXIST when taken, -ENOSPC when the table is full, -ENOMEM. */
int names_register(struct names *n, const char *name, const char *port, int owner);
/* 0, -ENOENT, -EPERM when owner did not register it. */
int names_unregister(struct names *n, const char *name, int owner);
/* The port bound to name, or NULL. */
const char *names_lookup(const struct names *n, const char *name);

/* A lookup from rank waits for name until deadline (ms, -1: forever); one
 * waiting lookup per rank, as a rank's PMI requests are sequential. */
int names_wait(struct names *n, int rank, const char *name, int64_t deadline);
/* Take a rank waiting for name (now registered): its rank, or -1. */
int names_take_waiter(struct names *n, const char *name);
/* Take a rank whose wait ran out by now: its rank, or -1. */
int names_take_expired(struct names *n, int64_t now);
/* The earliest deadline of a waiting lookup, or -1 when none. */
int64_t names_next_deadline(const struct names *n);
/* rank ended: forget its waiting lookup. */
void names_rank_gone(struct names *n, int rank);

/* Answers to ranks: answer cmd to rank with rc ("0" or "-1") and one more
 * field key=val (key NULL: none). */
typedef void (*names_answer_fn)(void *ctx, int rank, const char *cmd, const char *rc,
                                const char *key, const char *val);
/* Serve one request of rank: cmd is ferry_name_register, _unregister or
 * _lookup, name is valid, port and timeout_ms may be NULL. Answers rank
 * (at once, or later for a lookup that waits) and any lookups a register
 * satisfies. now is the CLOCK_MONOTONIC time in ms. */
void names_serve(struct names *n, int rank, const char *cmd, const char *name, const char *port,
                 const char *timeout_ms, int64_t now, names_answer_fn fn, void *ctx);
/* Answer the lookups whose wait ran out by now. */
void names_expire(struct names *n, int64_t now, names_answer_fn fn, void *ctx);

#endif
