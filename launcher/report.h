/* ferryrun's own messages: "ferryrun: ..." on stderr, one write each, so
 * they never split a forwarded line. */
#ifndef FERRY_LAUNCHER_REPORT_H
#define FERRY_LAUNCHER_REPORT_H

__attribute__((format(printf, 1, 2))) void ferry_report(const char *fmt, ...);

/* "SIGSEGV (Segmentation fault)" */
const char *ferry_signal_desc(int sig, char *buf, unsigned len);

#endif
