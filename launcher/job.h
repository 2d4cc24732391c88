/* One job, as ferryrun runs it: the ranks on this node (if any) and the
 * node agents for the other hosts, from one poll loop; ends them all when
 * one fails. */
#ifndef FERRY_LAUNCHER_JOB_H
#define FERRY_LAUNCHER_JOB_H

#include "launcher/jobspec.h"
#include "launcher/spawn.h"

struct job_config {
    struct spawn_spec spawn; /* for this node's ranks; shm_fd and sigmask filled by job_run */
    struct jobspec *spec;    /* the job; spec->tree_node[0] is this node (-1: none) */
    int tag_output;
    int verbose;
    int timeout_s; /* 0: none */
    int no_abort;  /* --no-abort-on-exit */
};

/* Run the job to its end; returns ferryrun's exit status. */
int job_run(struct job_config *cfg);

#endif
