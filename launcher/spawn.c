/* fork/exec of a rank. The child reports a failure before exec through a
 * close-on-exec pipe, so the launcher can tell "exec failed" from "the
 * program ran and exited 127". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launcher/bind.h"
#include "launcher/spawn.h"

enum stage { STAGE_SETUP, STAGE_BIND, STAGE_EXEC };

struct child_failure {
    int stage, err;
};

struct child_fds {
    int pmi, out, err, report;
};

static _Noreturn void child_fail(int report_fd, enum stage stage, int err)
{
    struct child_failure f = {stage, err};
    ssize_t n = write(report_fd, &f, sizeof f);
    (void)n;
    _exit(127);
}

static int set_cloexec(int fd, int on)
{
    int fl = fcntl(fd, F_GETFD);
    if (fl < 0) return -1;
    return fcntl(fd, F_SETFD, on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC);
}

/* Nothing of the launcher but the PMI socket and the segment may reach the
 * program, including fds ferryrun itself inherited. */
static void cloexec_all_from_3(void)
{
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 1 << 20) max = 1 << 20;
    for (int fd = 3; fd < max; fd++) set_cloexec(fd, 1);
}

static int set_env_int(const char *name, int v)
{
    char s[16];
    snprintf(s, sizeof s, "%d", v);
    return setenv(name, s, 1);
}

static _Noreturn void child(const struct spawn_spec *sp, int rank, int local,
                            const struct child_fds *fds, pid_t parent)
{
    int rep = fds->report;
    signal(SIGPIPE, SIG_DFL); /* the launcher ignores it; the program should not */
    setpgid(0, 0);            /* its own group: signals reach it and its children */
    /* Die with the launcher; the launcher may have died before this line. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(rep, STAGE_SETUP, errno);
    if (getppid() != parent) _exit(127);

    /* Rank 0 reads ferryrun's stdin (as with Open MPI) unless it is a
     * terminal, which a rank in a background process group may not read. */
    if (rank != sp->stdin_rank || isatty(STDIN_FILENO)) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, STDIN_FILENO) < 0) child_fail(rep, STAGE_SETUP, errno);
    }
    if (dup2(fds->out, STDOUT_FILENO) < 0 || dup2(fds->err, STDERR_FILENO) < 0)
        child_fail(rep, STAGE_SETUP, errno);
    cloexec_all_from_3();
    if (set_cloexec(fds->pmi, 0) != 0 || set_cloexec(sp->shm_fd, 0) != 0)
        child_fail(rep, STAGE_SETUP, errno);

    for (int i = 0; i < sp->nenv; i++)
        if (setenv(sp->env[i].name, sp->env[i].value, 1) != 0) child_fail(rep, STAGE_SETUP, errno);
    /* Ours last, so -x cannot break the wire-up. A PMI_PORT/PMI_ID from an
     * outer launcher would point the client elsewhere. */
    unsetenv("PMI_PORT");
    unsetenv("PMI_ID");
    if (set_env_int("PMI_FD", fds->pmi) || set_env_int("PMI_RANK", rank) ||
        set_env_int("PMI_SIZE", sp->size) || set_env_int("FERRY_SHM_FD", sp->shm_fd) ||
        setenv("FERRY_NODE_ID", sp->node_id ? sp->node_id : "0", 1) ||
        (sp->host && setenv("FERRY_HOST", sp->host, 1)) ||
        (sp->verbose && setenv("FERRY_VERBOSE", "1", 1)))
        child_fail(rep, STAGE_SETUP, errno);

    setrlimit(RLIMIT_NOFILE, &sp->nofile);
    if (sp->bind) {
        int rc = bind_plan_apply(sp->bind, local);
        if (rc && sp->bind_required) child_fail(rep, STAGE_BIND, -rc);
    }
    sigprocmask(SIG_SETMASK, &sp->sigmask, NULL);
    execv(sp->path, sp->argv);
    child_fail(rep, STAGE_EXEC, errno);
}

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

int spawn_rank(const struct spawn_spec *sp, int rank, int local, struct spawned *out, char *err,
               size_t errlen)
{
    int sv[2] = {-1, -1}, po[2] = {-1, -1}, pe[2] = {-1, -1}, pr[2] = {-1, -1};
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || pipe2(po, O_CLOEXEC) != 0 ||
        pipe2(pe, O_CLOEXEC) != 0 || pipe2(pr, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot create the channels of rank %d: %s", rank, strerror(errno));
        goto fail;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot fork rank %d: %s", rank, strerror(errno));
        goto fail;
    }
    if (pid == 0) {
        struct child_fds fds = {.pmi = sv[1], .out = po[1], .err = pe[1], .report = pr[1]};
        child(sp, rank, local, &fds, parent);
    }
    setpgid(pid, pid); /* also here, so signalling the group works at once */
    close_fd(&sv[1]);
    close_fd(&po[1]);
    close_fd(&pe[1]);
    close_fd(&pr[1]);

    struct child_failure f;
    ssize_t n;
    do n = read(pr[0], &f, sizeof f);
    while (n < 0 && errno == EINTR);
    close_fd(&pr[0]);
    if (n == (ssize_t)sizeof f) {
        waitpid(pid, NULL, 0);
        if (f.stage == STAGE_EXEC)
            snprintf(err, errlen, "cannot execute '%s': %s", sp->path, strerror(f.err));
        else if (f.stage == STAGE_BIND)
            snprintf(err, errlen, "cannot bind rank %d to its core: %s", rank, strerror(f.err));
        else
            snprintf(err, errlen, "cannot set up rank %d: %s", rank, strerror(f.err));
        goto fail;
    }
    fcntl(po[0], F_SETFL, fcntl(po[0], F_GETFL) | O_NONBLOCK);
    fcntl(pe[0], F_SETFL, fcntl(pe[0], F_GETFL) | O_NONBLOCK);
    *out = (struct spawned){.pid = pid, .pmi_fd = sv[0], .out_fd = po[0], .err_fd = pe[0]};
    return 0;

fail:
    for (int i = 0; i < 2; i++) {
        close_fd(&sv[i]);
        close_fd(&po[i]);
        close_fd(&pe[i]);
        close_fd(&pr[i]);
    }
    return -1;
}
