/* ferry_init and ferry_finalize: wire-up, node map, transports, ports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "include/ferry.h"
#include "runtime/core/api.h"
#include "runtime/core/world.h"
#include "runtime/port/flow.h"
#include "runtime/port/ool.h"
#include "runtime/port/port.h"
#include "runtime/progress/lock.h"
#include "runtime/progress/progress.h"
#include "runtime/progress/request.h"
#include "runtime/wireup/pmi_client.h"
#include "runtime/wireup/pmi_wire.h"

#define NODE_KEY_MAX 300

/* Every transport, in the default order of preference: the first one that
 * reaches a rank carries its traffic. FERRY_TRANSPORTS (a comma-separated
 * list of names) picks some of them and their order, e.g. "ofi" to send
 * even between ranks of one node through the fabric. */
static const struct ferry_transport_ops *const all_transports[] = {
    &ferry_transport_self,
    &ferry_transport_shm,
    &ferry_transport_ofi,
};
#define NALL (sizeof all_transports / sizeof all_transports[0])

/* The transports of this job, in order, and how many were started. */
static const struct ferry_transport_ops *transports[NALL];
static size_t ntransports, nstarted;

/* What identifies this node: the launcher's node id when it gives one (test
 * hosts in network namespaces share a host name), else the host name. */
static void node_key(char *out, size_t cap)
{
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    const char *id = getenv("FERRY_NODE_ID");
    snprintf(out, cap, "%s/%s", id ? id : "-", host);
}

static int exchange_node_keys(void)
{
    char key[64], mine[NODE_KEY_MAX];
    node_key(mine, sizeof mine);
    snprintf(key, sizeof key, "ferry.node.%d", ferry_w.rank);
    int rc = pmi_client_put(key, mine);
    if (!rc) rc = pmi_client_fence();
    if (rc) return rc;
    char **keys = calloc((size_t)ferry_w.size, sizeof *keys);
    if (!keys) return FERRY_ERR_NOMEM;
    for (int r = 0; r < ferry_w.size && !rc; r++) {
        keys[r] = malloc(NODE_KEY_MAX);
        if (!keys[r]) {
            rc = FERRY_ERR_NOMEM;
            break;
        }
        snprintf(key, sizeof key, "ferry.node.%d", r);
        rc = pmi_client_get(key, keys[r], NODE_KEY_MAX);
        if (rc) ferry_log("PMI: no node key for rank %d: %s", r, ferry_strerror(rc));
    }
    if (!rc) rc = world_set_nodes(&ferry_w, keys);
    for (int r = 0; r < ferry_w.size; r++) free(keys[r]);
    free(keys);
    return rc;
}

static int parse_transports(void)
{
    const char *spec = getenv("FERRY_TRANSPORTS");
    ntransports = 0;
    if (!spec || !*spec) {
        for (size_t i = 0; i < NALL; i++) transports[ntransports++] = all_transports[i];
        return FERRY_OK;
    }
    for (const char *p = spec; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        size_t i = 0;
        while (i < NALL && (strlen(all_transports[i]->name) != len ||
                            strncmp(all_transports[i]->name, p, len) != 0))
            i++;
        int dup = 0;
        for (size_t k = 0; i < NALL && k < ntransports; k++)
            dup |= transports[k] == all_transports[i];
        if (i == NALL || dup) {
            ferry_log("FERRY_TRANSPORTS=%s: %s '%.*s' (known: self, shm, ofi)", spec,
                      i == NALL ? "unknown transport" : "repeated transport", (int)len, p);
            return FERRY_ERR_INVALID;
        }
        transports[ntransports++] = all_transports[i];
        p = comma ? comma + 1 : p + len;
    }
    return FERRY_OK;
}

/* Whether some rank is reached by none of the first n transports. */
static int someone_unreached(size_t n)
{
    for (int r = 0; r < ferry_w.size; r++) {
        size_t i = 0;
        while (i < n && !transports[i]->reaches(r)) i++;
        if (i == n) return 1;
    }
    return 0;
}

static int choose_transports(void)
{
    int rc = parse_transports(), published = 0;
    if (rc) return rc;
    /* Start transports in order while some rank still needs one. The
     * decision is the same on every rank (it depends on the node map and
     * the environment only), so all or none of them fence below. */
    for (nstarted = 0; nstarted < ntransports && someone_unreached(nstarted); nstarted++) {
        rc = transports[nstarted]->init(&ferry_w, frame_arrived);
        if (rc < 0) {
            ferry_log("transport %s failed to start: %s", transports[nstarted]->name,
                      ferry_strerror(rc));
            return rc;
        }
        published |= rc == 1;
    }
    if (published && (rc = pmi_client_fence())) return rc;
    int used[NALL] = {0};
    for (int r = 0; r < ferry_w.size; r++) {
        for (size_t i = 0; i < nstarted && !ferry_w.peers[r].tp; i++)
            if (transports[i]->reaches(r)) {
                ferry_w.peers[r].tp = transports[i];
                used[i] = 1;
            }
        if (!ferry_w.peers[r].tp) {
            ferry_log("no transport reaches rank %d (FERRY_TRANSPORTS=%s)", r,
                      getenv("FERRY_TRANSPORTS") ? getenv("FERRY_TRANSPORTS") : "");
            return FERRY_ERR_PEER;
        }
    }
    for (size_t i = 0; i < nstarted; i++)
        if ((rc = transports[i]->connect(&ferry_w))) return rc;
    /* Only transports that reach someone are polled. */
    for (size_t i = 0; i < nstarted; i++)
        if (used[i]) progress_add_transport(transports[i]);
    return FERRY_OK;
}

static void stop_transports(void)
{
    while (nstarted > 0) transports[--nstarted]->fini();
}

void ferry_peer_lost(int rank)
{
    peer_died(rank);
}

static void on_launcher_event(const struct pmi_msg *m)
{
    long rank;
    if (strcmp(m->cmd, "ferry_event_rank_exited") == 0 &&
        pmi_get_long(m, "rank", &rank) == PMI_WIRE_OK && rank >= 0 && rank < ferry_w.size)
        peer_died((int)rank);
}

FERRY_API int ferry_init(int *argc, char ***argv)
{
    if (ferry_w.initialized) return FERRY_OK;
    int rc = pmi_client_init(&ferry_w.rank, &ferry_w.size);
    if (rc) return rc;
    if ((rc = exchange_node_keys())) return rc;
    ferry_w.peers = calloc((size_t)ferry_w.size, sizeof *ferry_w.peers);
    if (!ferry_w.peers) return FERRY_ERR_NOMEM;
    long ncores = sysconf(_SC_NPROCESSORS_ONLN);
    ferry_w.ncores = ncores > 0 ? (int)ncores : 1;
    ferry_w.oversubscribed = ferry_w.local_size > ferry_w.ncores;
    if ((rc = ports_init()) || (rc = progress_init()) || (rc = choose_transports())) {
        stop_transports();
        world_free(&ferry_w);
        return rc;
    }
    pmi_client_on_event(on_launcher_event);
    ferry_w.initialized = 1;
    return FERRY_OK;
}

FERRY_API int ferry_init_thread(int *argc, char ***argv, int flags)
{
    if (flags & ~FERRY_THREAD_MULTIPLE) return FERRY_ERR_INVALID;
    /* Before the job starts, or while no other thread is inside Ferry. */
    if (flags & FERRY_THREAD_MULTIPLE) lock_enable();
    return ferry_init(argc, argv);
}

static int nothing_queued(void *arg)
{
    return !pending_active() && !pulls_active();
}

FERRY_API int ferry_finalize(void)
{
    LOCKED();
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    /* Frames still queued for full rings must go out, and peers may still be
     * pulling our large sends: leave only when every rank is here. */
    progress_wait(nothing_queued, NULL, FERRY_FOREVER);
    int rc = pmi_client_fence_progress(progress_once);
    /* Ports first: messages still queued give their regions back to the
     * shared heap, which goes with the shm transport. */
    ports_fini();
    dest_fini();
    stop_transports();
    progress_fini();
    ool_fini();
    names_fini();
    watch_fini();
    rndv_table_free();
    req_cache_free();
    int rc2 = pmi_client_finalize();
    world_free(&ferry_w);
    ferry_w.initialized = 0;
    return rc ? rc : rc2;
}

FERRY_API int ferry_initialized(void)
{
    return ferry_w.initialized;
}

FERRY_API int ferry_rank(void)
{
    return ferry_w.initialized ? ferry_w.rank : FERRY_ERR_NOT_INIT;
}

FERRY_API int ferry_size(void)
{
    return ferry_w.initialized ? ferry_w.size : FERRY_ERR_NOT_INIT;
}

FERRY_API int ferry_local_rank(void)
{
    return ferry_w.initialized ? ferry_w.local_rank : FERRY_ERR_NOT_INIT;
}

FERRY_API int ferry_local_size(void)
{
    return ferry_w.initialized ? ferry_w.local_size : FERRY_ERR_NOT_INIT;
}

FERRY_API int ferry_is_local(int rank)
{
    if (!ferry_w.initialized || rank < 0 || rank >= ferry_w.size) return 0;
    return ferry_w.local_index[rank] >= 0;
}
