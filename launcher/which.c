/* PATH search with the rules of execvp: an empty PATH entry is the current
 * directory, a directory or a file without execute permission is skipped. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher/which.h"

/* 0: runnable; else an errno saying why not. */
static int runnable(const char *file)
{
    struct stat st;
    if (stat(file, &st) != 0) return errno;
    if (S_ISDIR(st.st_mode)) return EISDIR;
    if (!S_ISREG(st.st_mode)) return EACCES;
    if (access(file, X_OK) != 0) return errno;
    return 0;
}

int ferry_which(const char *name, const char *path, char *out, size_t outlen, char *err,
                size_t errlen)
{
    if (!*name) {
        snprintf(err, errlen, "the program name is empty");
        return -1;
    }
    if (strchr(name, '/')) {
        int e = runnable(name);
        if (e == EACCES)
            snprintf(err, errlen, "program '%s' is not executable", name);
        else if (e == EISDIR)
            snprintf(err, errlen, "program '%s' is a directory", name);
        else if (e)
            snprintf(err, errlen, "program '%s' not found: %s", name, strerror(e));
        else if ((size_t)snprintf(out, outlen, "%s", name) >= outlen)
            snprintf(err, errlen, "program path '%s' is too long", name);
        else
            return 0;
        return -1;
    }

    char def[256];
    if (!path) {
        size_t n = confstr(_CS_PATH, def, sizeof def);
        path = n > 0 && n <= sizeof def ? def : "/usr/bin:/bin";
    }
    int seen_noexec = 0;
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t dlen = end ? (size_t)(end - p) : strlen(p);
        int n = dlen ? snprintf(out, outlen, "%.*s/%s", (int)dlen, p, name)
                     : snprintf(out, outlen, "%s", name);
        if (n > 0 && (size_t)n < outlen) {
            int e = runnable(out);
            if (!e) return 0;
            if (e == EACCES) seen_noexec = 1;
        }
        if (!end) break;
        p = end;
    }
    if (seen_noexec)
        snprintf(err, errlen, "program '%s' found in PATH but is not executable", name);
    else
        snprintf(err, errlen, "program '%s' not found in PATH", name);
    return -1;
}
