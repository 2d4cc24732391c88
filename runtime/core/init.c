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
#include "runtime/progress/progress.h"
#include "runtime/progress/request.h"
#include "runtime/wireup/pmi_client.h"
#include "runtime/wireup/pmi_wire.h"

#define NODE_KEY_MAX 300

static const struct ferry_transport_ops *const transports[] = {
    &ferry_transport_self,
    &ferry_transport_shm,
};
#define NTRANSPORTS (sizeof transports / sizeof transports[0])

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

static int choose_transports(void)
{
    for (size_t i = 0; i < NTRANSPORTS; i++) {
        int rc = transports[i]->init(&ferry_w, frame_arrived);
        if (rc) {
            ferry_log("transport %s failed to start: %s", transports[i]->name, ferry_strerror(rc));
            return rc;
        }
    }
    for (size_t i = 0; i < NTRANSPORTS; i++) {
        int rc = transports[i]->connect(&ferry_w);
        if (rc) return rc;
    }
    int used[NTRANSPORTS] = {0};
    for (int r = 0; r < ferry_w.size; r++)
        for (size_t i = 0; i < NTRANSPORTS && !ferry_w.peers[r].tp; i++)
            if (transports[i]->reaches(r)) {
                ferry_w.peers[r].tp = transports[i];
                used[i] = 1;
            }
    /* Only transports that reach someone are polled. */
    for (size_t i = 0; i < NTRANSPORTS; i++)
        if (used[i]) progress_add_transport(transports[i]);
    return FERRY_OK;
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
        world_free(&ferry_w);
        return rc;
    }
    pmi_client_on_event(on_launcher_event);
    ferry_w.initialized = 1;
    return FERRY_OK;
}

static int nothing_queued(void *arg)
{
    return !pending_active() && !pulls_active();
}

FERRY_API int ferry_finalize(void)
{
    if (!ferry_w.initialized) return FERRY_ERR_NOT_INIT;
    /* Frames still queued for full rings must go out, and peers may still be
     * pulling our large sends: leave only when every rank is here. */
    progress_wait(nothing_queued, NULL, FERRY_FOREVER);
    int rc = pmi_client_fence_progress(progress_once);
    /* Ports first: messages still queued give their regions back to the
     * shared heap, which goes with the shm transport. */
    ports_fini();
    dest_fini();
    for (size_t i = NTRANSPORTS; i-- > 0;) transports[i]->fini();
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
