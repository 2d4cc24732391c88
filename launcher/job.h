/* One job on this node: start the ranks, serve their PMI and output from one
 * poll loop, watch them end, and end them all when one fails. */
#ifndef FERRY_LAUNCHER_JOB_H
#define FERRY_LAUNCHER_JOB_H

#include "launcher/spawn.h"

struct job_config {
    struct spawn_spec spawn; /* shm_fd and sigmask are filled in by job_run */
    int tag_output;
    int verbose;
    int timeout_s; /* 0: none */
    int no_abort;  /* --no-abort-on-exit */
};

/* Run the job to its end; returns ferryrun's exit status. */
int job_run(struct job_config *cfg);

#endif
