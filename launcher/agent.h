/* The node agent's life (ferryd): it runs the ranks of one node of a job
 * for ferryrun on another host, and starts the agents below it in the
 * launch tree. It obeys its parent (kill), reports to it (output, starts,
 * exits, aborts, fences) and passes its children's reports on. When its
 * parent goes away (link closed or silent, stdin closed, SIGTERM/SIGHUP) it
 * ends its ranks and its subtree, so nothing outlives the job. */
#ifndef FERRY_LAUNCHER_AGENT_H
#define FERRY_LAUNCHER_AGENT_H

#include "launcher/jobspec.h"
#include "launcher/link.h"

/* Run tree index t of the job over the authenticated link up; returns the
 * agent's exit status. */
int agent_run(const struct jobspec *spec, int t, struct link *up, const char *secret);

#endif
