#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "launcher/report.h"

void ferry_report(const char *fmt, ...)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "ferryrun: ");
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2) len = sizeof line - 2;
    line[len++] = '\n';
    for (size_t off = 0; off < len;) {
        ssize_t w = write(STDERR_FILENO, line + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        off += (size_t)w;
    }
}

const char *ferry_signal_desc(int sig, char *buf, unsigned len)
{
    const char *abbrev = sigabbrev_np(sig);
    const char *desc = sigdescr_np(sig);
    if (abbrev)
        snprintf(buf, len, "SIG%s (%s)", abbrev, desc ? desc : "unknown signal");
    else
        snprintf(buf, len, "%d", sig);
    return buf;
}
