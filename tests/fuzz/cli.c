/* ferryrun's command line (launcher/cli.c): the input is the argument words,
 * separated by NUL bytes. Parsing either fails with a reason or yields
 * options in range and a program that is one of the words. */
#include "launcher/cli.h"
#include "tests/fuzz/fuzz.h"

#define ARGS_MAX 64

/* An option's value points into one of the words (or is absent). */
static int in_words(const char *p, char **argv, int argc)
{
    for (int a = 1; p && a < argc; a++)
        if (p >= argv[a] && p <= argv[a] + strlen(argv[a])) return 1;
    return !p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Each word in a block of its own size, so a read past one is caught. */
    char *argv[ARGS_MAX + 2];
    int argc = 0;
    argv[argc++] = fz_dup("ferryrun", 9);
    size_t start = 0;
    for (size_t i = 0; i <= size && argc <= ARGS_MAX; i++) {
        if (i < size && data[i]) continue;
        char *w = malloc(i - start + 1);
        FUZZ_CHECK(w != NULL);
        memcpy(w, data + start, i - start);
        w[i - start] = '\0';
        argv[argc++] = w;
        start = i + 1;
    }
    argv[argc] = NULL;

    struct ferry_cli cli;
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = ferry_cli_parse(argc, argv, &cli, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
    if (rc == -1) {
        FUZZ_CHECK(err[0] != '\0');
    } else if (!cli.help && !cli.version) {
        FUZZ_CHECK(cli.np >= 1 && cli.timeout_s >= 0 && cli.ppn >= 0 && cli.fanout >= 1);
        FUZZ_CHECK(cli.np <= (cli.multi ? FERRY_CLI_NP_TOTAL_MAX : FERRY_CLI_NP_MAX));
        FUZZ_CHECK(cli.multi || (!cli.nhost_lists && !cli.hostfile && !cli.ppn));
        FUZZ_CHECK(in_words(cli.hostfile, argv, argc) && in_words(cli.launcher_exec, argv, argc));
        for (int i = 0; i < cli.nhost_lists; i++)
            FUZZ_CHECK(cli.host_lists[i] && in_words(cli.host_lists[i], argv, argc));
        FUZZ_CHECK(cli.prog_argc >= 1 && cli.prog_argv >= argv + 1 &&
                   cli.prog_argv + cli.prog_argc == argv + argc);
        FUZZ_CHECK(cli.nexports >= 0 && cli.nexports < argc);
        for (int i = 0; i < cli.nexports; i++)
            FUZZ_CHECK(in_words(cli.exports[i], argv, argc) && cli.exports[i][0] &&
                       cli.exports[i][0] != '=');
    }
    if (rc == 0) ferry_cli_free(&cli);
    for (int i = 0; i < argc; i++) free(argv[i]);
    return 0;
}
