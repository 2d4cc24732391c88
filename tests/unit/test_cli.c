/* ferryrun's option parsing and program look-up: every accepted spelling,
 * every rejection with its reason, and where options stop. */
#include <CUnit/Basic.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher/cli.h"
#include "launcher/which.h"

static struct ferry_cli cli;
static char err[512];

/* Parse the NULL-terminated words after "ferryrun". */
static int parse(const char *first, ...)
{
    static char *argv[64];
    int argc = 0;
    argv[argc++] = "ferryrun";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    ferry_cli_free(&cli);
    return ferry_cli_parse(argc, argv, &cli, err, sizeof err);
}

/* A rejection: rc -1, a one-line reason holding phrase. */
static void expect_error(int rc, const char *phrase)
{
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, phrase));
    CU_ASSERT_PTR_NULL(strchr(err, '\n'));
    if (!strstr(err, phrase)) fprintf(stderr, "\n  got '%s', expected '%s'\n", err, phrase);
}

static void test_defaults(void)
{
    CU_ASSERT_EQUAL_FATAL(parse("prog", NULL), 0);
    CU_ASSERT_EQUAL(cli.np, 1);
    CU_ASSERT_EQUAL(cli.bind, FERRY_BIND_DEFAULT);
    CU_ASSERT_EQUAL(cli.timeout_s, 0);
    CU_ASSERT_EQUAL(cli.nexports, 0);
    CU_ASSERT_FALSE(cli.tag_output || cli.verbose || cli.help || cli.version || cli.oversubscribe);
    CU_ASSERT_EQUAL(cli.prog_argc, 1);
    CU_ASSERT_STRING_EQUAL(cli.prog_argv[0], "prog");
    CU_ASSERT_PTR_NULL(cli.prog_argv[1]);
}

static void test_np_spellings(void)
{
    const char *forms[][2] = {{"-n", "3"}, {"-np", "4"}, {"--n", "5"}, {"--np", "6"}};
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(parse(forms[i][0], forms[i][1], "prog", NULL), 0);
        CU_ASSERT_EQUAL(cli.np, atoi(forms[i][1]));
    }
    CU_ASSERT_EQUAL(parse("--np=7", "prog", NULL), 0);
    CU_ASSERT_EQUAL(cli.np, 7);
    CU_ASSERT_EQUAL(parse("-n=8", "prog", NULL), 0);
    CU_ASSERT_EQUAL(cli.np, 8);
    CU_ASSERT_EQUAL(parse("-n", "2", "-n", "9", "prog", NULL), 0); /* the last one wins */
    CU_ASSERT_EQUAL(cli.np, 9);
    CU_ASSERT_EQUAL(parse("-n", "4096", "prog", NULL), 0);
    CU_ASSERT_EQUAL(cli.np, FERRY_CLI_NP_MAX);
}

static void test_flags_and_values(void)
{
    CU_ASSERT_EQUAL_FATAL(parse("--tag-output", "--oversubscribe", "--verbose", "--bind-to", "none",
                                "--timeout", "30", "-x", "A", "-x", "B=c=d", "--", "prog", "a1",
                                NULL),
                          0);
    CU_ASSERT_TRUE(cli.tag_output && cli.oversubscribe && cli.verbose);
    CU_ASSERT_EQUAL(cli.bind, FERRY_BIND_NONE);
    CU_ASSERT_EQUAL(cli.timeout_s, 30);
    CU_ASSERT_EQUAL_FATAL(cli.nexports, 2);
    CU_ASSERT_STRING_EQUAL(cli.exports[0], "A");
    CU_ASSERT_STRING_EQUAL(cli.exports[1], "B=c=d");
    CU_ASSERT_EQUAL(cli.prog_argc, 2);
    CU_ASSERT_STRING_EQUAL(cli.prog_argv[1], "a1");

    CU_ASSERT_EQUAL(parse("-tag-output", "-v", "--bind-to=core", "prog", NULL), 0);
    CU_ASSERT_TRUE(cli.tag_output && cli.verbose);
    CU_ASSERT_EQUAL(cli.bind, FERRY_BIND_CORE);
}

static void test_options_stop_at_program(void)
{
    CU_ASSERT_EQUAL_FATAL(parse("-n", "2", "prog", "-n", "3", "--bogus", "--", NULL), 0);
    CU_ASSERT_EQUAL(cli.np, 2);
    CU_ASSERT_EQUAL(cli.prog_argc, 5);
    CU_ASSERT_STRING_EQUAL(cli.prog_argv[0], "prog");
    CU_ASSERT_STRING_EQUAL(cli.prog_argv[2], "3");
    CU_ASSERT_STRING_EQUAL(cli.prog_argv[4], "--");
    /* "--" makes even a dash-led word the program. */
    CU_ASSERT_EQUAL_FATAL(parse("--", "-prog", NULL), 0);
    CU_ASSERT_STRING_EQUAL(cli.prog_argv[0], "-prog");
    /* A lone "-" is a word, not an option. */
    CU_ASSERT_EQUAL_FATAL(parse("-", NULL), 0);
    CU_ASSERT_STRING_EQUAL(cli.prog_argv[0], "-");
}

static void test_help_version(void)
{
    CU_ASSERT_EQUAL(parse("--help", NULL), 0);
    CU_ASSERT_TRUE(cli.help);
    CU_ASSERT_EQUAL(parse("-h", "--bogus", NULL), 0); /* parsing stops at --help */
    CU_ASSERT_TRUE(cli.help);
    CU_ASSERT_EQUAL(parse("--version", NULL), 0);
    CU_ASSERT_TRUE(cli.version);
    CU_ASSERT_EQUAL(parse("-n", "2", "-V", NULL), 0);
    CU_ASSERT_TRUE(cli.version);
    expect_error(parse("--bogus", "--help", NULL), "unknown option '--bogus'");
}

static void test_errors(void)
{
    expect_error(parse("--bogus", "prog", NULL), "unknown option '--bogus'");
    expect_error(parse("-q", "prog", NULL), "unknown option '-q'");
    expect_error(parse("--bogus=1", "prog", NULL), "unknown option '--bogus'");
    expect_error(parse("-n", "0", "prog", NULL), "positive integer, got '0'");
    expect_error(parse("-n", "-2", "prog", NULL), "positive integer, got '-2'");
    expect_error(parse("-n", "abc", "prog", NULL), "positive integer, got 'abc'");
    expect_error(parse("-n", "", "prog", NULL), "positive integer, got ''");
    expect_error(parse("-n", "3x", "prog", NULL), "positive integer, got '3x'");
    expect_error(parse("-n", " 3", "prog", NULL), "positive integer");
    expect_error(parse("-n", "4097", "prog", NULL), "at most 4096 ranks");
    expect_error(parse("-np", "99999999999999999999999", "prog", NULL), "at most 4096 ranks");
    expect_error(parse("-n", NULL), "option '-n' needs a value");
    expect_error(parse("--np", NULL), "option '--np' needs a value");
    expect_error(parse("-x", NULL), "option '-x' needs a value");
    expect_error(parse("--bind-to", "socket", "prog", NULL), "expected core or none, got 'socket'");
    expect_error(parse("--bind-to=", "prog", NULL), "expected core or none, got ''");
    expect_error(parse("--timeout", "0", "prog", NULL), "number of seconds, got '0'");
    expect_error(parse("--timeout", "1.5", "prog", NULL), "number of seconds, got '1.5'");
    expect_error(parse("-x", "", "prog", NULL), "expected VAR or VAR=value");
    expect_error(parse("-x", "=v", "prog", NULL), "expected VAR or VAR=value");
    expect_error(parse("--verbose=yes", "prog", NULL), "option '--verbose' takes no value");
    expect_error(parse(NULL), "no program given");
    expect_error(parse("-n", "2", NULL), "no program given");
    expect_error(parse("-n", "2", "--", NULL), "no program given");
}

static void test_usage_text(void)
{
    char buf[8192] = {0};
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    ferry_cli_usage(f);
    ferry_cli_version(f);
    fclose(f);
    const char *must[] = {
        "Usage: ferryrun", "-np",       "-x VAR", "--tag-output", "--bind-to", "--oversubscribe",
        "--timeout",       "--verbose", "--help", "--version",    "stdin",     "ferryrun (Ferry) "};
    for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
        CU_ASSERT_PTR_NOT_NULL(strstr(buf, must[i]));
}

static char dir[64];

static void test_which(void)
{
    char out[512];
    CU_ASSERT_EQUAL(
        ferry_which("sh", "/nonexistent:/bin:/usr/bin", out, sizeof out, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(out, "/bin/sh");
    CU_ASSERT_EQUAL(ferry_which("/bin/sh", "", out, sizeof out, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(out, "/bin/sh");

    expect_error(
        ferry_which("ferry-no-such-prog", "/bin:/usr/bin", out, sizeof out, err, sizeof err),
        "program 'ferry-no-such-prog' not found in PATH");
    expect_error(ferry_which("/nonexistent/x", NULL, out, sizeof out, err, sizeof err),
                 "program '/nonexistent/x' not found");
    expect_error(ferry_which("/tmp", NULL, out, sizeof out, err, sizeof err), "is a directory");
    expect_error(ferry_which("", NULL, out, sizeof out, err, sizeof err), "empty");

    /* A file without execute permission: named as such, directly or by PATH. */
    char file[128], exe[128];
    snprintf(file, sizeof file, "%s/data", dir);
    snprintf(exe, sizeof exe, "%s/tool", dir);
    close(open(file, O_CREAT | O_WRONLY, 0644));
    close(open(exe, O_CREAT | O_WRONLY, 0755));
    expect_error(ferry_which(file, NULL, out, sizeof out, err, sizeof err), "is not executable");
    expect_error(ferry_which("data", dir, out, sizeof out, err, sizeof err),
                 "found in PATH but is not executable");
    CU_ASSERT_EQUAL(ferry_which("tool", dir, out, sizeof out, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(out, exe);

    /* An empty PATH entry is the current directory, as for execvp. */
    char cwd[512];
    CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof cwd));
    CU_ASSERT_EQUAL_FATAL(chdir(dir), 0);
    CU_ASSERT_EQUAL(ferry_which("tool", "/nonexistent::", out, sizeof out, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(out, "tool");
    CU_ASSERT_EQUAL(chdir(cwd), 0);
    /* No room for the result: an error, not an overflow. */
    char tiny[4];
    CU_ASSERT_EQUAL(ferry_which("/bin/sh", NULL, tiny, sizeof tiny, err, sizeof err), -1);
    unlink(file);
    unlink(exe);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/ferry-test-cli-XXXXXX");
    if (!mkdtemp(dir)) return 1;
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
    CU_pSuite s = CU_add_suite("cli", NULL, NULL);
    CU_add_test(s, "defaults", test_defaults);
    CU_add_test(s, "-n spellings", test_np_spellings);
    CU_add_test(s, "flags and values", test_flags_and_values);
    CU_add_test(s, "options stop at the program", test_options_stop_at_program);
    CU_add_test(s, "help and version", test_help_version);
    CU_add_test(s, "errors", test_errors);
    CU_add_test(s, "usage text", test_usage_text);
    CU_add_test(s, "program look-up", test_which);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    ferry_cli_free(&cli);
    rmdir(dir);
    return failed != 0;
}
