/* PMI-1 client: the rank's side of the wire-up with whatever launched it
 * (ferryrun, a ferryd agent, MPICH's Hydra, or nothing: a singleton). */
#ifndef FERRY_PMI_CLIENT_H
#define FERRY_PMI_CLIENT_H

#include <stddef.h>

/* Connect using PMI_FD/PMI_RANK/PMI_SIZE; without them, a job of one. */
int pmi_client_init(int *rank, int *size);
int pmi_client_is_singleton(void);
/* The job's KVS name ("singleton" without a launcher). */
const char *pmi_client_kvsname(void);
int pmi_client_put(const char *key, const char *val);
/* Barrier that also makes every earlier put visible to every rank. */
int pmi_client_fence(void);
/* The same, calling progress() while waiting, so peers that still need
 * this rank (finalize) are served; progress returns its event count. */
int pmi_client_fence_progress(int (*progress)(void));
int pmi_client_get(const char *key, char *val, size_t cap);
/* Send cmd with up to two key/value pairs (NULL to stop) and wait for the
 * answer named expect, calling progress() meanwhile. Not for singletons.
 * Threads may call it at once: while idle it waits without the big lock;
 * requests of one kind (one expect) take turns. */
struct pmi_msg;
int pmi_client_request(struct pmi_msg *ans, const char *expect, int (*progress)(void),
                       const char *cmd, const char *k1, const char *v1, const char *k2,
                       const char *v2);
int pmi_client_abort(int code, const char *msg);
/* Lines the launcher sends unasked (cmd=ferry_event_*) go to fn, whenever
 * they are read: by pmi_client_poll_events, or while awaiting an answer. */
void pmi_client_on_event(void (*fn)(const struct pmi_msg *m));
/* Read what the launcher sent, without blocking; returns the lines read. */
int pmi_client_poll_events(void);
int pmi_client_finalize(void);

#endif
