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
#include "launcher/job.h"
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

    struct job_config cfg = {
        .spawn = {.path = path, .argv = cli.prog_argv, .size = cli.np},
        .tag_output = cli.tag_output,
        .verbose = cli.verbose,
        .timeout_s = cli.timeout_s,
        .no_abort = cli.no_abort,
    };
    struct bind_plan *plan = NULL;
    if (cli.bind != FERRY_BIND_NONE) {
        plan = bind_plan_create(err, sizeof err);
        if (!plan && cli.bind == FERRY_BIND_CORE) {
            ferry_report("--bind-to core: %s", err);
            ferry_cli_free(&cli);
            return 1;
        }
        /* By default, bind only when every rank can have a core of its own. */
        if (plan && cli.bind == FERRY_BIND_DEFAULT && cli.np > bind_plan_ncores(plan)) {
            bind_plan_destroy(plan);
            plan = NULL;
        }
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
    fit_fd_limit(cli.np, &cfg.spawn.nofile);

    int status = job_run(&cfg);

    for (int i = 0; i < cfg.spawn.nenv; i++) free((char *)env[i].name);
    free(env);
    bind_plan_destroy(plan);
    ferry_cli_free(&cli);
    return status;
}
