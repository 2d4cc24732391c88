/* ferryrun: parse the command line, check the program, prepare environment,
 * binding and limits, then run the job. Bad usage never forks anything. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "launcher/bind.h"
#include "launcher/cli.h"
#include "launcher/hosts.h"
#include "launcher/job.h"
#include "launcher/net.h"
#include "launcher/report.h"
#include "launcher/which.h"

static int usage_error(const char *what)
{
    ferry_report("%s", what);
    ferry_cli_usage(stderr);
    return 2;
}

/* With 0, 1 or 2 closed, the first socket or pipe would take its number
 * and a rank's output would land in it. */
static void ensure_std_fds(void)
{
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0) _exit(1);
}

/* -x VAR takes ferryrun's value (skipped when unset); -x VAR=value its own. */
static struct spawn_env *exports(const struct ferry_cli *cli, int verbose, int *n)
{
    struct spawn_env *env = calloc((size_t)cli->nexports + 1, sizeof *env);
    *n = 0;
    for (int i = 0; env && i < cli->nexports; i++) {
        const char *arg = cli->exports[i], *eq = strchr(arg, '=');
        char *name = eq ? strndup(arg, (size_t)(eq - arg)) : strdup(arg);
        if (!name) break;
        const char *val = eq ? eq + 1 : getenv(name);
        if (!val) {
            if (verbose) ferry_report("-x %s: not set in ferryrun's environment, skipped", name);
            free(name);
            continue;
        }
        env[(*n)++] = (struct spawn_env){.name = name, .value = val};
    }
    return env;
}

/* Each rank costs the launcher three fds; raise the soft limit to fit. */
static void fit_fd_limit(int np, struct rlimit *orig)
{
    getrlimit(RLIMIT_NOFILE, orig);
    rlim_t need = 3 * (rlim_t)np + 64;
    if (orig->rlim_cur == RLIM_INFINITY || orig->rlim_cur >= need) return;
    struct rlimit r = *orig;
    r.rlim_cur = orig->rlim_max == RLIM_INFINITY || orig->rlim_max >= need ? need : orig->rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
}

/* The agent program for other hosts: FERRY_FERRYD, else the ferryd beside
 * this ferryrun (same installation), else ferryd through PATH. */
static char *ferryd_path(void)
{
    const char *env = getenv("FERRY_FERRYD");
    if (env && *env) return strdup(env);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash && (size_t)(slash - self) + sizeof "/ferryd" <= sizeof self) {
            strcpy(slash, "/ferryd");
            if (access(self, X_OK) == 0) return strdup(self);
        }
    }
    return strdup("ferryd");
}

/* The launcher command's words: split on blanks (no quoting). */
static char **split_words(const char *s)
{
    size_t n = 0, cap = 8;
    char **v = calloc(cap, sizeof *v);
    for (const char *p = s; v && *p;) {
        p += strspn(p, " \t");
        if (!*p) break;
        size_t l = strcspn(p, " \t");
        if (n + 2 > cap) {
            char **w = realloc(v, (cap *= 2) * sizeof *v);
            if (!w) break;
            v = w;
        }
        if (!(v[n++] = strndup(p, l))) break;
        v[n] = NULL;
        p += l;
    }
    return v;
}

/* The job over the hosts given, or this node alone. Returns 0, or -1 after
 * reporting (2: a usage error). */
static int plan_job(const struct ferry_cli *cli, struct jobspec *spec, char *err, size_t errlen)
{
    static char kvsname[64];
    snprintf(kvsname, sizeof kvsname, "kvs_%d_0", (int)getpid());
    spec->kvsname = strdup(kvsname);
    spec->fanout = cli->fanout;
    struct hostlist hl = {0};
    int rc = 0;
    if (!cli->multi) {
        rc = hosts_parse_list("localhost", &hl, err, errlen);
    } else {
        for (int i = 0; !rc && i < cli->nhost_lists; i++)
            rc = hosts_parse_list(cli->host_lists[i], &hl, err, errlen);
        if (!rc && cli->hostfile) rc = hosts_parse_file(cli->hostfile, &hl, err, errlen);
    }
    if (!rc)
        rc = map_ranks(&hl, cli->multi && !cli->np_given ? 0 : cli->np, cli->ppn,
                       cli->map_by == FERRY_MAP_BY_NODE ? MAP_BY_NODE : MAP_BY_SLOT,
                       !cli->multi || cli->oversubscribe, &spec->map, err, errlen);
    hosts_free(&hl);
    if (rc) return -1;
    const struct job_map *m = &spec->map;
    /* This machine runs the first node that names it; agents run the others. */
    int me = -1;
    for (int n = 0; n < m->nnodes && me < 0; n++)
        if (!cli->multi || net_is_local(m->name[n])) me = n;
    spec->tree_node = malloc((size_t)(m->nnodes + 1) * sizeof(int));
    char mapping[1024];
    if (map_process_mapping(m, mapping, sizeof mapping) != 0) mapping[0] = '\0';
    spec->mapping = strdup(mapping);
    spec->exec_argv = split_words(cli->launcher_exec ? cli->launcher_exec : "ssh");
    spec->ferryd = ferryd_path();
    char cwd[PATH_MAX];
    spec->cwd = strdup(getcwd(cwd, sizeof cwd) ? cwd : "/");
    if (!spec->kvsname || !spec->tree_node || !spec->mapping || !spec->exec_argv ||
        !spec->exec_argv[0] || !spec->ferryd || !spec->cwd) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    spec->tree_node[0] = me;
    spec->ntree = 1;
    for (int n = 0; n < m->nnodes; n++)
        if (n != me) spec->tree_node[spec->ntree++] = n;
    if (jobspec_index(spec) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    ensure_std_fds();
    struct ferry_cli cli;
    char err[512];
    if (ferry_cli_parse(argc, argv, &cli, err, sizeof err) != 0) return usage_error(err);
    if (cli.help || cli.version) {
        if (cli.help)
            ferry_cli_usage(stdout);
        else
            ferry_cli_version(stdout);
        ferry_cli_free(&cli);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    char path[PATH_MAX];
    if (ferry_which(cli.prog_argv[0], getenv("PATH"), path, sizeof path, err, sizeof err) != 0) {
        ferry_cli_free(&cli);
        return usage_error(err);
    }
    struct jobspec spec = {0};
    if (plan_job(&cli, &spec, err, sizeof err) != 0) {
        ferry_report("%s", err);
        jobspec_free(&spec);
        ferry_cli_free(&cli);
        return 2;
    }
    int me = spec.tree_node[0], nlocal = me >= 0 ? spec.map.count[me] : 0;
    char node_id[16];
    snprintf(node_id, sizeof node_id, "%d", me);

    struct job_config cfg = {
        .spawn = {.path = path,
                  .argv = cli.prog_argv,
                  .size = spec.map.np,
                  .stdin_rank = 0,
                  .node_id = node_id,
                  .host = cli.multi && me >= 0 ? spec.map.name[me] : NULL},
        .spec = &spec,
        .tag_output = cli.tag_output,
        .verbose = cli.verbose,
        .timeout_s = cli.timeout_s,
        .no_abort = cli.no_abort,
    };
    int fatal = 0;
    struct bind_plan *plan =
        nlocal ? bind_plan_for(cli.bind, nlocal, &fatal, err, sizeof err) : NULL;
    if (fatal) {
        ferry_report("--bind-to core: %s", err);
        jobspec_free(&spec);
        ferry_cli_free(&cli);
        return 1;
    }
    cfg.spawn.bind = plan;
    cfg.spawn.bind_required = cli.bind == FERRY_BIND_CORE;
    cfg.spawn.verbose = cli.verbose;
    struct spawn_env *env = exports(&cli, cli.verbose, &cfg.spawn.nenv);
    if (!env) {
        ferry_report("out of memory");
        return 1;
    }
    cfg.spawn.env = env;
    fit_fd_limit(nlocal + 2 * (spec.ntree - 1), &cfg.spawn.nofile);
    /* What the agents need of the same. */
    spec.path = strdup(path);
    spec.argv = calloc((size_t)cli.prog_argc + 1, sizeof *spec.argv);
    spec.env = calloc((size_t)cfg.spawn.nenv + 1, sizeof *spec.env);
    for (int i = 0; spec.argv && i < cli.prog_argc; i++) spec.argv[i] = strdup(cli.prog_argv[i]);
    for (int i = 0; spec.env && i < cfg.spawn.nenv; i++)
        spec.env[spec.nenv++] = (struct spawn_env){strdup(env[i].name), strdup(env[i].value)};
    spec.verbose = cli.verbose;
    spec.bind = cli.bind;
    spec.no_abort = cli.no_abort;

    int status = job_run(&cfg);

    for (int i = 0; i < cfg.spawn.nenv; i++) free((char *)env[i].name);
    free(env);
    bind_plan_destroy(plan);
    jobspec_free(&spec);
    ferry_cli_free(&cli);
    return status;
}
