/* Binding ranks to cores, through hwloc. */
#ifndef FERRY_LAUNCHER_BIND_H
#define FERRY_LAUNCHER_BIND_H

#include <stddef.h>

struct bind_plan;

/* Load this node's topology (the cores this process may use). NULL with a
 * reason in err when hwloc cannot. */
struct bind_plan *bind_plan_create(char *err, size_t errlen);
void bind_plan_destroy(struct bind_plan *p);
int bind_plan_ncores(const struct bind_plan *p);
/* The plan for nlocal ranks under --bind-to mode (0 default: bind only when
 * the ranks share the cores evenly, at most one per core or the same number
 * on each, 1 core, 2 none): NULL when not binding,
 * and then *fatal tells whether that is an error (reason in err). */
struct bind_plan *bind_plan_for(int mode, int nlocal, int *fatal, char *err, size_t errlen);
/* Bind the calling process to core (rank mod cores); for the child between
 * fork and exec. 0 or -errno. */
int bind_plan_apply(const struct bind_plan *p, int rank);
/* "core I (PUs L)" for rank, for --verbose. */
void bind_plan_describe(const struct bind_plan *p, int rank, char *buf, size_t len);

#endif
