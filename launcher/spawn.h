/* Starting one rank: its sockets and pipes, its environment, its process
 * group and binding, then exec. */
#ifndef FERRY_LAUNCHER_SPAWN_H
#define FERRY_LAUNCHER_SPAWN_H

#include <signal.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

struct bind_plan;

struct spawn_env {
    const char *name, *value;
};

/* What every rank of the job shares. */
struct spawn_spec {
    const char *path;            /* the file to exec (resolved beforehand) */
    char **argv;                 /* NULL-terminated; argv[0] as the user typed it */
    const struct spawn_env *env; /* set in each rank before ours (-x) */
    int nenv;
    int size;                     /* ranks in the job */
    int shm_fd;                   /* the node's segment, inherited as FERRY_SHM_FD */
    const struct bind_plan *bind; /* NULL: no binding */
    int bind_required;            /* a failed binding stops the job */
    int verbose;                  /* ranks describe their transports (FERRY_VERBOSE) */
    int stdin_rank;               /* the rank that reads our stdin (-1: none) */
    const char *node_id;          /* FERRY_NODE_ID: tells nodes of the job apart */
    const char *host;             /* FERRY_HOST, the node's name in the job (NULL: unset) */
    sigset_t sigmask;             /* the mask to exec with */
    struct rlimit nofile;         /* the fd limit to exec with */
};

/* The launcher's side of a started rank. */
struct spawned {
    pid_t pid;          /* also the id of the rank's own process group */
    int pmi_fd;         /* the launcher's end of the rank's PMI socket */
    int out_fd, err_fd; /* read ends of its stdout/stderr pipes, O_NONBLOCK */
};

/* Start rank, the local-th on this node (its core when binding). Returns 0
 * once the program is exec'd, or -1 with a one-line reason in err (the
 * child has been reaped then). */
int spawn_rank(const struct spawn_spec *sp, int rank, int local, struct spawned *out, char *err,
               size_t errlen);

#endif
