/* Lots of output from every rank, in a form a script can check line by line.
 *
 *   print_lines COUNT LEN [--env VAR]... [--tail]
 *
 * Rank R prints to stdout "r R info rank=R size=N pmi_rank=.. pmi_size=..",
 * "r R env VAR=value" (or "=(unset)") per --env, then COUNT lines
 * "r R out I P" to stdout and COUNT lines "r R err I P" to stderr, where P
 * is LEN times the letter 'a' + (7R + I) mod 26. With --tail it ends with
 * "r R tail" on stdout, without a newline.
 * stdout is a buffered stream (its writes split lines), stderr writes each
 * line at once.
 */
#include <ferry.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env_or_unset(const char *name)
{
    const char *v = getenv(name);
    return v ? v : "(unset)";
}

int main(int argc, char **argv)
{
    int rc = ferry_init(&argc, &argv);
    if (rc) {
        fprintf(stderr, "print_lines: ferry_init: %s\n", ferry_strerror(rc));
        return 98;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: print_lines COUNT LEN [--env VAR]... [--tail]\n");
        return 2;
    }
    long count = atol(argv[1]), len = atol(argv[2]);
    int r = ferry_rank(), tail = 0;
    printf("r %d info rank=%d size=%d pmi_rank=%s pmi_size=%s\n", r, r, ferry_size(),
           env_or_unset("PMI_RANK"), env_or_unset("PMI_SIZE"));
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--tail") == 0)
            tail = 1;
        else if (strcmp(argv[i], "--env") == 0 && i + 1 < argc) {
            printf("r %d env %s=%s\n", r, argv[i + 1], env_or_unset(argv[i + 1]));
            i++;
        }
    }
    char *p = malloc((size_t)len + 1);
    if (!p) return 3;
    for (long i = 0; i < count; i++) {
        memset(p, 'a' + (int)((7 * r + i) % 26), (size_t)len);
        p[len] = '\0';
        printf("r %d out %ld %s\n", r, i, p);
        fprintf(stderr, "r %d err %ld %s\n", r, i, p);
    }
    if (tail) printf("r %d tail", r);
    free(p);
    if (fflush(stdout) != 0) return 4;
    rc = ferry_finalize();
    if (rc) {
        fprintf(stderr, "print_lines: ferry_finalize: %s\n", ferry_strerror(rc));
        return 97;
    }
    return 0;
}
