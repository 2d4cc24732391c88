/* Finding the program to run before anything is forked, so a typo is a
 * usage error and not N failed ranks. */
#ifndef FERRY_LAUNCHER_WHICH_H
#define FERRY_LAUNCHER_WHICH_H

#include <stddef.h>

/* Resolve name like execvp would: as a path when it holds a '/', else
 * through the directories of path (a PATH value; NULL means the system
 * default). Fills out with the file to exec and returns 0, or returns -1
 * with a one-line reason in err. */
int ferry_which(const char *name, const char *path, char *out, size_t outlen, char *err,
                size_t errlen);

#endif
