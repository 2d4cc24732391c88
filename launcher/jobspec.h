/* What every node agent needs to know about the job, sent to it as one
 * W_JOB frame once it has proved it knows the secret: the program and its
 * environment, the map of ranks to nodes, and the launch tree.
 *
 * The launch tree: ferryrun is tree index 0; the nodes it runs through
 * agents are tree indices 1..ntree-1 in node order, and index t starts the
 * agents t*fanout+1 .. t*fanout+fanout. So ferryrun starts at most fanout
 * agents, and a job of N remote nodes is launched in about log_fanout(N)
 * rounds of ssh rather than N. */
#ifndef FERRY_LAUNCHER_JOBSPEC_H
#define FERRY_LAUNCHER_JOBSPEC_H

#include "launcher/hosts.h"
#include "launcher/spawn.h"
#include "launcher/wire.h"

enum jobspec_bind { JOB_BIND_DEFAULT, JOB_BIND_CORE, JOB_BIND_NONE };

struct jobspec {
    char *kvsname;
    char *mapping; /* PMI_process_mapping */
    struct job_map map;
    int *tree_node; /* [ntree]: the node tree index t serves; [0] = ferryrun's (-1: none) */
    int *tree_of;   /* [nnodes]: the reverse (derived, see jobspec_index) */
    int ntree, fanout;
    char **exec_argv; /* the launcher command's words, NULL-terminated */
    char *ferryd;     /* the agent program to run on other hosts */
    char *cwd;
    char *path; /* the program, resolved */
    char **argv;
    struct spawn_env *env; /* -x, names and values owned */
    int nenv;
    int verbose, bind;
    int no_abort; /* --no-abort-on-exit */
};

void jobspec_encode(const struct jobspec *j, struct wbuf *b);
/* Decode a W_JOB body; 0, or -1 (what was decoded freed) when malformed
 * or inconsistent. */
int jobspec_decode(struct jobspec *j, const uint8_t *body, size_t len);
void jobspec_free(struct jobspec *j);

/* Fill tree_of from tree_node (jobspec_decode does it). 0 or -1. */
int jobspec_index(struct jobspec *j);
/* The tree index that runs node (0 for ferryrun's), or -1. */
int jobspec_tree_of_node(const struct jobspec *j, int node);
/* Whether rank runs on the node of tree index t or on one below it. */
int jobspec_in_subtree(const struct jobspec *j, int t, int rank);

/* Tree helpers. */
int tree_parent(int t, int fanout);
/* The child of `self` whose subtree holds t, or -1 when t is not below self. */
int tree_route(int self, int t, int fanout);

#endif
