/* Runs a fuzz target without libFuzzer, so `make check` replays every
 * checked-in corpus with the ordinary compiler: each file named on the
 * command line (a directory: each file in it, in name order), by default
 * the target's corpus FUZZ_CORPUS. A crash or a failed check fails the
 * test; so does an empty corpus, which would test nothing. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

/* A target may set itself up once, as under libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    unsigned char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "%s: out of memory\n", path);
        return -1;
    }
    /* Exactly len bytes, so a sanitizer catches a read past the input. */
    unsigned char *exact = fz_dup(buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* The count of inputs run, or -1. */
static int run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) return run_file(path) == 0 ? 1 : -1;
    struct dirent **ents;
    int n = scandir(path, &ents, NULL, by_name);
    if (n < 0) {
        perror(path);
        return -1;
    }
    int count = 0;
    for (int i = 0; i < n; i++) {
        char sub[4096];
        if (ents[i]->d_name[0] != '.') {
            snprintf(sub, sizeof sub, "%s/%s", path, ents[i]->d_name);
            if (stat(sub, &st) == 0 && S_ISREG(st.st_mode)) {
                if (run_file(sub) != 0) count = -1;
                if (count >= 0) count++;
            }
        }
        free(ents[i]);
    }
    free(ents);
    return count;
}

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    char *def[] = {FUZZ_CORPUS};
    char **paths = argc > 1 ? argv + 1 : def;
    int npaths = argc > 1 ? argc - 1 : 1;
    int total = 0;
    for (int i = 0; i < npaths; i++) {
        int n = run_path(paths[i]);
        if (n < 0) return 1;
        total += n;
    }
    printf("%d inputs ran without a failure\n", total);
    if (total == 0) {
        fprintf(stderr, "no inputs: nothing was tested\n");
        return 1;
    }
    return 0;
}
