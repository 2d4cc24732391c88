/* Where ranks run: host lists (--host h1:2,h2:2), hostfiles (lines "host
 * slots=N"), and the map of ranks to nodes (--map-by slot|node, --ppn N).
 * Pure: no I/O except reading the hostfile, unit-tested. */
#ifndef FERRY_LAUNCHER_HOSTS_H
#define FERRY_LAUNCHER_HOSTS_H

#include <stddef.h>

#define HOST_NAME_MAX_LEN 255
/* A node runs at most this many ranks (the shared segment's limit). */
#define HOST_RANKS_MAX 4096

struct host {
    char *name;
    int slots;
};

struct hostlist {
    struct host *h;
    int n;
};

/* "h1:2,h2,h3:4" (slots default to 1); a host named twice adds up its
 * slots. 0, or -1 with a one-line reason. Appends to out. */
int hosts_parse_list(const char *spec, struct hostlist *out, char *err, size_t errlen);
/* A hostfile's text: one host per line, "host", "host slots=N" or
 * "host:N", '#' starts a comment, blank lines are skipped. A bad line is
 * reported as "NAME:LINE: reason". Appends to out. */
int hosts_parse_text(const char *text, const char *name, struct hostlist *out, char *err,
                     size_t errlen);
int hosts_parse_file(const char *path, struct hostlist *out, char *err, size_t errlen);
void hosts_free(struct hostlist *l);

enum map_by { MAP_BY_SLOT, MAP_BY_NODE };

/* The job's layout: node i runs ranks[i][0..count[i]) on host name[i]. */
struct job_map {
    int np, nnodes;
    int *node_of; /* [np] */
    char **name;  /* [nnodes], owned */
    int *count;   /* [nnodes] */
    int **ranks;  /* [nnodes][count] */
};

/* Place np ranks (0: one per slot) on the hosts. Each host takes up to its
 * slots (or ppn per host when ppn > 0); more ranks than that are an error
 * unless oversubscribe, which goes round again. map_by slot fills a host
 * before the next; node deals ranks round-robin. Hosts given no rank are
 * not nodes of the job. */
int map_ranks(const struct hostlist *hl, int np, int ppn, enum map_by by, int oversubscribe,
              struct job_map *out, char *err, size_t errlen);
void map_free(struct job_map *m);
/* MPICH's PMI_process_mapping for the map, "(vector,(node,nodes,ranks),..)";
 * -1 when it does not fit cap. */
int map_process_mapping(const struct job_map *m, char *buf, size_t cap);

#endif
