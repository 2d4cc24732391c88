/* Option parsing for ferryrun, with the names Open MPI and Hydra users type:
 * one or two leading dashes, "--opt value" or "--opt=value". Options end at
 * the first non-option word (the program) or at "--". */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/cli.h"

enum opt_id {
    OPT_NP,
    OPT_X,
    OPT_TAG,
    OPT_BIND,
    OPT_OVERSUB,
    OPT_TIMEOUT,
    OPT_VERBOSE,
    OPT_HELP,
    OPT_VERSION,
    OPT_NO_ABORT,
    OPT_HOST,
    OPT_HOSTFILE,
    OPT_PPN,
    OPT_MAP_BY,
    OPT_LAUNCHER_EXEC,
    OPT_FANOUT,
};

struct opt {
    const char *name; /* without leading dashes */
    enum opt_id id;
    int has_value;
};

static const struct opt opts[] = {
    {"n", OPT_NP, 1},
    {"np", OPT_NP, 1},
    {"x", OPT_X, 1},
    {"tag-output", OPT_TAG, 0},
    {"bind-to", OPT_BIND, 1},
    {"oversubscribe", OPT_OVERSUB, 0},
    {"no-abort-on-exit", OPT_NO_ABORT, 0},
    {"timeout", OPT_TIMEOUT, 1},
    {"verbose", OPT_VERBOSE, 0},
    {"v", OPT_VERBOSE, 0},
    {"help", OPT_HELP, 0},
    {"h", OPT_HELP, 0},
    {"version", OPT_VERSION, 0},
    {"V", OPT_VERSION, 0},
    {"host", OPT_HOST, 1},
    {"H", OPT_HOST, 1},
    {"hosts", OPT_HOST, 1},
    {"hostfile", OPT_HOSTFILE, 1},
    {"machinefile", OPT_HOSTFILE, 1},
    {"f", OPT_HOSTFILE, 1},
    {"ppn", OPT_PPN, 1},
    {"npernode", OPT_PPN, 1},
    {"map-by", OPT_MAP_BY, 1},
    {"launcher-exec", OPT_LAUNCHER_EXEC, 1},
    {"launch-fanout", OPT_FANOUT, 1},
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static const struct opt *find_opt(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0) return &opts[i];
    return NULL;
}

/* A base-10 integer in [1, max] and nothing else: 0, -1 when not a positive
 * integer, -2 when over max. */
static int parse_count(const char *s, long max, long *out)
{
    if (*s < '0' || *s > '9') return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end) return -1;
    if (errno == ERANGE || v > max) return -2;
    if (v < 1) return -1;
    *out = v;
    return 0;
}

static int apply(struct ferry_cli *c, const char *opt, const struct opt *o, const char *val,
                 char *err, size_t errlen)
{
    long v;
    switch (o->id) {
    case OPT_NP:
        switch (parse_count(val, FERRY_CLI_NP_TOTAL_MAX, &v)) {
        case 0:
            c->np = (int)v;
            c->np_given = 1;
            return 0;
        case -2:
            return fail(err, errlen, "%s: at most %d ranks on one node, %d in all, got '%s'", opt,
                        FERRY_CLI_NP_MAX, FERRY_CLI_NP_TOTAL_MAX, val);
        }
        return fail(err, errlen, "%s: the number of ranks must be a positive integer, got '%s'",
                    opt, val);
    case OPT_X:
        if (!*val || *val == '=')
            return fail(err, errlen, "%s: expected VAR or VAR=value, got '%s'", opt, val);
        c->exports[c->nexports++] = (char *)val;
        return 0;
    case OPT_BIND:
        if (strcmp(val, "core") == 0)
            c->bind = FERRY_BIND_CORE;
        else if (strcmp(val, "none") == 0)
            c->bind = FERRY_BIND_NONE;
        else
            return fail(err, errlen, "%s: expected core or none, got '%s'", opt, val);
        return 0;
    case OPT_TIMEOUT:
        if (parse_count(val, 1000000000L, &v) != 0)
            return fail(err, errlen,
                        "%s: the timeout must be a positive number of seconds, got '%s'", opt, val);
        c->timeout_s = (int)v;
        return 0;
    case OPT_HOST:
        if (!*val) return fail(err, errlen, "%s: expected host[:N][,host[:N]...]", opt);
        c->host_lists[c->nhost_lists++] = (char *)val;
        c->multi = 1;
        return 0;
    case OPT_HOSTFILE:
        if (!*val) return fail(err, errlen, "%s: expected a file name", opt);
        c->hostfile = val;
        c->multi = 1;
        return 0;
    case OPT_PPN:
        if (parse_count(val, FERRY_CLI_NP_MAX, &v) != 0)
            return fail(err, errlen, "%s: expected ranks per node between 1 and %d, got '%s'", opt,
                        FERRY_CLI_NP_MAX, val);
        c->ppn = (int)v;
        return 0;
    case OPT_MAP_BY:
        if (strcmp(val, "slot") == 0 || strcmp(val, "core") == 0)
            c->map_by = FERRY_MAP_BY_SLOT;
        else if (strcmp(val, "node") == 0)
            c->map_by = FERRY_MAP_BY_NODE;
        else
            return fail(err, errlen, "%s: expected slot or node, got '%s'", opt, val);
        return 0;
    case OPT_LAUNCHER_EXEC:
        if (!val[strspn(val, " \t")])
            return fail(err, errlen, "%s: expected a command, got '%s'", opt, val);
        c->launcher_exec = val;
        return 0;
    case OPT_FANOUT:
        if (parse_count(val, 1024, &v) != 0)
            return fail(err, errlen, "%s: expected a fan-out between 1 and 1024, got '%s'", opt,
                        val);
        c->fanout = (int)v;
        return 0;
    case OPT_TAG:
        c->tag_output = 1;
        return 0;
    case OPT_OVERSUB:
        c->oversubscribe = 1;
        return 0;
    case OPT_NO_ABORT:
        c->no_abort = 1;
        return 0;
    case OPT_VERBOSE:
        c->verbose = 1;
        return 0;
    case OPT_HELP:
        c->help = 1;
        return 0;
    case OPT_VERSION:
        c->version = 1;
        return 0;
    }
    return fail(err, errlen, "internal error: unhandled option %s", opt);
}

int ferry_cli_parse(int argc, char **argv, struct ferry_cli *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->np = 1;
    out->bind = FERRY_BIND_DEFAULT;
    out->fanout = FERRY_CLI_FANOUT_DEFAULT;
    if (errlen) err[0] = '\0';
    out->exports = calloc((size_t)(argc > 0 ? argc : 1), sizeof *out->exports);
    out->host_lists = calloc((size_t)(argc > 0 ? argc : 1), sizeof *out->host_lists);
    if (!out->exports || !out->host_lists) {
        ferry_cli_free(out);
        return fail(err, errlen, "out of memory");
    }

    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') break; /* the program */
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        const char *name = a + (a[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct opt *o = find_opt(name, nlen);
        if (!o) {
            ferry_cli_free(out);
            return fail(err, errlen, "unknown option '%.*s'", (int)(name - a + nlen), a);
        }
        char optname[64];
        snprintf(optname, sizeof optname, "%.*s", (int)(name - a + nlen), a);
        const char *val = NULL;
        if (o->has_value) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else {
                ferry_cli_free(out);
                return fail(err, errlen, "option '%s' needs a value", optname);
            }
        } else if (eq) {
            ferry_cli_free(out);
            return fail(err, errlen, "option '%s' takes no value", optname);
        }
        if (apply(out, optname, o, val, err, errlen) != 0) {
            ferry_cli_free(out);
            return -1;
        }
        if (out->help || out->version) return 0;
    }
    if (i >= argc) {
        ferry_cli_free(out);
        return fail(err, errlen, "no program given");
    }
    if (!out->multi && out->np > FERRY_CLI_NP_MAX) {
        int np = out->np;
        ferry_cli_free(out);
        return fail(err, errlen,
                    "-n: at most %d ranks on one node, got %d (spread them with --host or "
                    "--hostfile)",
                    FERRY_CLI_NP_MAX, np);
    }
    if (!out->multi && (out->ppn || out->launcher_exec)) {
        ferry_cli_free(out);
        return fail(err, errlen, "%s needs --host or --hostfile",
                    out->ppn ? "--ppn" : "--launcher-exec");
    }
    out->prog_argv = argv + i;
    out->prog_argc = argc - i;
    return 0;
}

void ferry_cli_free(struct ferry_cli *cli)
{
    free(cli->exports);
    free(cli->host_lists);
    cli->exports = NULL;
    cli->host_lists = NULL;
    cli->nexports = cli->nhost_lists = 0;
}

void ferry_cli_usage(FILE *f)
{
    fputs("Usage: ferryrun [options] program [args...]\n"
          "Start program as N ranks of one job, on this node or on the hosts given, serving\n"
          "their PMI-1 wire-up.\n"
          "\n"
          "Options (one or two leading dashes; \"--opt value\" or \"--opt=value\"):\n"
          "  -n, -np N            number of ranks (default 1)\n"
          "  -x VAR[=value]       export VAR to every rank, with ferryrun's value or the one\n"
          "                       given; may be repeated\n"
          "  --tag-output         prefix each output line with [1,rank]<stdout>: or\n"
          "                       [1,rank]<stderr>:\n"
          "  --bind-to core|none  bind rank i to core (i mod cores); default: core when\n"
          "                       ranks <= cores or a multiple of them, else none\n"
          "  --oversubscribe      accepted for compatibility (more ranks than cores is allowed)\n"
          "  --no-abort-on-exit   a rank that exits does not end the job: the others see its\n"
          "                       ports as dead; the exit code is still the first failure's\n"
          "  --timeout S          end the job after S seconds (exit code 124)\n"
          "  --host H[:N],...     run on these hosts, N slots each (default 1)\n"
          "  --hostfile F         hosts from F: lines 'host slots=N', '#' comments\n"
          "  --ppn N              N ranks per host, whatever its slots\n"
          "  --map-by slot|node   fill each host's slots in turn (default), or deal ranks\n"
          "                       round-robin over the hosts\n"
          "  --launcher-exec CMD  start the node agent on a host with CMD HOST ferryd ...\n"
          "                       (default: ssh)\n"
          "  --launch-fanout K    each agent starts up to K more (default 32)\n"
          "  -v, --verbose        print job details on stderr\n"
          "  -h, --help           print this help and exit\n"
          "  -V, --version        print the version and exit\n"
          "\n"
          "Options end at the program name or at \"--\"; later words go to the program.\n"
          "Rank 0 reads ferryrun's stdin unless it is a terminal; other ranks read /dev/null.\n"
          "Output of the ranks is forwarded line by line.\n"
          "\n"
          "Exit status: 0 when every rank exits 0; else the first failing rank's code\n"
          "(128+signal when killed), the code given to abort, 124 on --timeout,\n"
          "128+signal when ferryrun is interrupted, 2 on bad usage.\n",
          f);
}

void ferry_cli_version(FILE *f)
{
    fputs("ferryrun (Ferry) " PACKAGE_VERSION "\n", f);
}
