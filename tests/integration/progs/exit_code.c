/* A rank that ends the way it is told, for ferryrun's failure handling.
 *
 *   exit_code HOW0 [HOW1 ...]   rank r does HOWr (the last one for higher ranks)
 *
 * After ferry_init, HOW is one of:
 *   ok           ferry_finalize, exit 0
 *   code:N       exit N at once (no finalize)
 *   segv         die by SIGSEGV
 *   sleep        sleep until killed
 *   stubborn     ignore SIGTERM and SIGINT, sleep until killed
 *   abort:N      send "cmd=abort exitcode=N" over PMI_FD, then sleep
 *   term-report  print "exit_code: rank R got signal S" when SIGTERM or
 *                SIGINT comes, then exit 0
 * Every rank prints "exit_code: rank R ready" once set up.
 */
#include <ferry.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int rank;

static void say(const char *fmt, int a, int b)
{
    char line[128];
    int n = snprintf(line, sizeof line, fmt, a, b);
    if (n > 0 && write(STDOUT_FILENO, line, (size_t)n) < 0) _exit(99);
}

static void report_signal(int sig)
{
    say("exit_code: rank %d got signal %d\n", rank, sig);
    _exit(0);
}

static _Noreturn void sleep_forever(void)
{
    for (;;) pause();
}

int main(int argc, char **argv)
{
    int rc = ferry_init(&argc, &argv);
    if (rc) {
        fprintf(stderr, "exit_code: ferry_init: %s\n", ferry_strerror(rc));
        return 98;
    }
    rank = ferry_rank();
    const char *how = argc > 1 ? argv[rank + 1 < argc ? rank + 1 : argc - 1] : "ok";

    if (strcmp(how, "term-report") == 0) {
        signal(SIGTERM, report_signal);
        signal(SIGINT, report_signal);
    } else if (strcmp(how, "stubborn") == 0) {
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
    }
    say("exit_code: rank %d ready%.0d\n", rank, 0);

    if (strcmp(how, "ok") == 0) {
        rc = ferry_finalize();
        if (rc) fprintf(stderr, "exit_code: ferry_finalize: %s\n", ferry_strerror(rc));
        return rc ? 97 : 0;
    }
    if (strncmp(how, "code:", 5) == 0) _exit(atoi(how + 5));
    if (strcmp(how, "segv") == 0) {
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
    }
    if (strncmp(how, "abort:", 6) == 0) {
        const char *fd = getenv("PMI_FD");
        if (!fd) return 96;
        char line[128];
        int n =
            snprintf(line, sizeof line, "cmd=abort exitcode=%d error_msg=test_abort_of_rank_%d\n",
                     atoi(how + 6), rank);
        if (write(atoi(fd), line, (size_t)n) != n) return 95;
    }
    if (strcmp(how, "sleep") == 0 || strcmp(how, "stubborn") == 0 ||
        strcmp(how, "term-report") == 0 || strncmp(how, "abort:", 6) == 0)
        sleep_forever();
    fprintf(stderr, "exit_code: unknown HOW '%s'\n", how);
    return 94;
}
