/* ferryrun's command line: options in, a plain struct out. Pure: no I/O, no
 * look-ups, so every case is unit-testable. */
#ifndef FERRY_LAUNCHER_CLI_H
#define FERRY_LAUNCHER_CLI_H

#include <stddef.h>
#include <stdio.h>

/* One node runs at most this many ranks (the shared segment's limit); a job
 * over several hosts at most FERRY_CLI_NP_TOTAL_MAX. */
#define FERRY_CLI_NP_MAX       4096
#define FERRY_CLI_NP_TOTAL_MAX (1 << 20)
/* Agents each agent (and ferryrun) starts: the launch tree's fan-out. */
#define FERRY_CLI_FANOUT_DEFAULT 32

enum ferry_bind {
    FERRY_BIND_DEFAULT, /* core when ranks <= cores, else none */
    FERRY_BIND_CORE,
    FERRY_BIND_NONE,
};

enum ferry_map_by {
    FERRY_MAP_BY_SLOT, /* fill a host's slots before the next host */
    FERRY_MAP_BY_NODE, /* one rank per host, round-robin */
};

struct ferry_cli {
    int np;       /* 1 unless -n was given (with hosts: one per slot) */
    int np_given; /* -n was given */
    int help, version, verbose, tag_output, oversubscribe;
    int no_abort; /* --no-abort-on-exit */
    enum ferry_bind bind;
    int timeout_s; /* 0: none */
    /* Several hosts: --host values (comma-separated lists, as given) and
     * --hostfile; point into argv. */
    char **host_lists;
    int nhost_lists;
    const char *hostfile;
    int ppn; /* 0: by slots */
    enum ferry_map_by map_by;
    const char *launcher_exec; /* NULL: ssh */
    int fanout;
    int multi; /* --host or --hostfile was given */
    /* -x arguments as given ("VAR" or "VAR=value"); point into argv. */
    char **exports;
    int nexports;
    /* The program and its arguments, NULL-terminated; point into argv. */
    char **prog_argv;
    int prog_argc;
};

/* Parse argv. Returns 0, or -1 with a one-line reason in err. With --help
 * or --version, parsing stops there and returns 0 with the flag set. On
 * success free with ferry_cli_free. */
int ferry_cli_parse(int argc, char **argv, struct ferry_cli *out, char *err, size_t errlen);
void ferry_cli_free(struct ferry_cli *cli);

void ferry_cli_usage(FILE *f);
void ferry_cli_version(FILE *f);

#endif
