/* PMI-1 lines: parse, read (blocking or not) and write. Every byte from the
 * peer is untrusted: lengths are checked before any copy. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/wireup/pmi_wire.h"

static int is_cmd_key(const char *k)
{
    return strcmp(k, "cmd") == 0 || strcmp(k, "mcmd") == 0;
}

int pmi_parse(const char *line, size_t len, struct pmi_msg *m)
{
    m->cmd = NULL;
    m->nfields = 0;
    m->buf[0] = '\0';
    if (len > 0 && line[len - 1] == '\n') len--;
    /* The line and its newline must fit PMI_LINE_MAX; buf keeps a NUL. */
    if (len >= PMI_LINE_MAX) return PMI_WIRE_TOO_LONG;
    if (memchr(line, '\0', len) || memchr(line, '\n', len)) return PMI_WIRE_MALFORMED;
    memcpy(m->buf, line, len);
    m->buf[len] = '\0';

    char *p = m->buf;
    for (;;) {
        while (*p == ' ') p++;
        if (!*p) break;
        char *key = p;
        while (*p && *p != ' ') p++;
        if (*p) *p++ = '\0';
        char *eq = strchr(key, '=');
        if (!m->cmd) {
            if (!eq) return PMI_WIRE_NO_CMD;
            *eq = '\0';
            if (!is_cmd_key(key) || !eq[1]) return PMI_WIRE_NO_CMD;
            if (strlen(eq + 1) > PMI_VALLEN_MAX) return PMI_WIRE_TOO_LONG;
            m->cmd = eq + 1;
            continue;
        }
        if (!eq || eq == key) return PMI_WIRE_MALFORMED;
        *eq = '\0';
        if (strlen(key) > PMI_KEYLEN_MAX || strlen(eq + 1) > PMI_VALLEN_MAX)
            return PMI_WIRE_TOO_LONG;
        if (m->nfields == PMI_FIELDS_MAX) return PMI_WIRE_TOO_MANY;
        m->f[m->nfields].key = key;
        m->f[m->nfields].val = eq + 1;
        m->nfields++;
    }
    return m->cmd ? PMI_WIRE_OK : PMI_WIRE_NO_CMD;
}

void pmi_msg_copy(struct pmi_msg *dst, const struct pmi_msg *src)
{
    memcpy(dst->buf, src->buf, sizeof dst->buf);
    dst->cmd = src->cmd ? dst->buf + (src->cmd - src->buf) : NULL;
    dst->nfields = src->nfields;
    for (int i = 0; i < src->nfields; i++) {
        dst->f[i].key = dst->buf + (src->f[i].key - src->buf);
        dst->f[i].val = dst->buf + (src->f[i].val - src->buf);
    }
}

const char *pmi_get(const struct pmi_msg *m, const char *key)
{
    for (int i = 0; i < m->nfields; i++)
        if (strcmp(m->f[i].key, key) == 0) return m->f[i].val;
    return NULL;
}

int pmi_get_long(const struct pmi_msg *m, const char *key, long *out)
{
    const char *v = pmi_get(m, key);
    if (!v) return PMI_WIRE_MISSING;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end) return PMI_WIRE_MALFORMED;
    *out = x;
    return PMI_WIRE_OK;
}

const char *pmi_wire_strerror(int err)
{
    switch (err) {
    case PMI_WIRE_OK:
        return "success";
    case PMI_WIRE_TOO_LONG:
        return "line or field too long";
    case PMI_WIRE_MALFORMED:
        return "malformed line (field without '=', empty key, NUL byte or bad character)";
    case PMI_WIRE_NO_CMD:
        return "line does not start with cmd= or mcmd=";
    case PMI_WIRE_TOO_MANY:
        return "too many fields";
    case PMI_WIRE_EOF:
        return "peer closed the connection";
    case PMI_WIRE_IO:
        return "read or write failed";
    case PMI_WIRE_MISSING:
        return "a required field is missing";
    }
    return "unknown PMI wire error";
}

void pmi_reader_init(struct pmi_reader *r, int fd)
{
    r->fd = fd;
    r->len = 0;
    r->skipping = 0;
}

/* Where the next read goes: over the old bytes while skipping a long line. */
static char *reader_room(struct pmi_reader *r, size_t *room)
{
    *room = sizeof r->buf - r->len;
    return r->buf + r->len;
}

/* Account for n bytes just read at reader_room(). */
static void reader_absorb(struct pmi_reader *r, size_t n)
{
    if (r->skipping == 1) {
        char *nl = memchr(r->buf, '\n', n);
        if (!nl) return; /* still inside the long line: drop it all */
        size_t rest = n - (size_t)(nl + 1 - r->buf);
        memmove(r->buf, nl + 1, rest);
        r->len = rest;
        r->skipping = 2;
        return;
    }
    r->len += n;
    /* A full buffer without a newline is a line over PMI_LINE_MAX. */
    if (r->len == sizeof r->buf && !memchr(r->buf, '\n', r->len)) {
        r->len = 0;
        r->skipping = 1;
    }
}

int pmi_next_msg(struct pmi_reader *r, struct pmi_msg *m)
{
    if (r->skipping == 2) {
        r->skipping = 0;
        m->cmd = NULL;
        m->nfields = 0;
        m->buf[0] = '\0';
        return PMI_WIRE_TOO_LONG;
    }
    if (r->skipping == 1) return 0;
    char *nl = memchr(r->buf, '\n', r->len);
    if (!nl) return 0;
    size_t n = (size_t)(nl + 1 - r->buf);
    int rc = pmi_parse(r->buf, n, m);
    memmove(r->buf, r->buf + n, r->len - n);
    r->len -= n;
    return rc < 0 ? rc : 1;
}

int pmi_reader_fill(struct pmi_reader *r)
{
    if (r->skipping == 2 || r->len == sizeof r->buf) return 0; /* lines wait to be taken */
    size_t room;
    char *dst = reader_room(r, &room);
    for (;;) {
        ssize_t n = recv(r->fd, dst, room, MSG_DONTWAIT);
        if (n < 0 && errno == ENOTSOCK) n = read(r->fd, dst, room);
        if (n > 0) {
            reader_absorb(r, (size_t)n);
            return (int)n;
        }
        if (n == 0) return PMI_WIRE_EOF;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        return PMI_WIRE_IO;
    }
}

int pmi_read_msg(struct pmi_reader *r, struct pmi_msg *m)
{
    for (;;) {
        int rc = pmi_next_msg(r, m);
        if (rc == 1) return PMI_WIRE_OK;
        if (rc < 0) return rc;
        size_t room;
        char *dst = reader_room(r, &room);
        ssize_t n = read(r->fd, dst, room);
        if (n > 0) {
            reader_absorb(r, (size_t)n);
            continue;
        }
        if (n == 0) return PMI_WIRE_EOF;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            /* A non-blocking fd: wait for bytes, as the caller asked to block. */
            struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
            if (poll(&pfd, 1, -1) < 0 && errno != EINTR) return PMI_WIRE_IO;
            continue;
        }
        return PMI_WIRE_IO;
    }
}

/* A key or value that cannot break the line apart. */
static int token_ok(const char *s, int is_key)
{
    if (is_key && !*s) return 0;
    for (; *s; s++)
        if (*s == ' ' || *s == '\n' || (is_key && *s == '=')) return 0;
    return 1;
}

static int append(char *line, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (n >= PMI_LINE_MAX - *len) return PMI_WIRE_TOO_LONG;
    memcpy(line + *len, s, n);
    *len += n;
    return PMI_WIRE_OK;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == ENOTSOCK) w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return PMI_WIRE_IO;
        }
        p += w;
        n -= (size_t)w;
    }
    return PMI_WIRE_OK;
}

int pmi_send(int fd, const char *cmd, ...)
{
    char line[PMI_LINE_MAX];
    size_t len = 0;
    if (!cmd || !token_ok(cmd, 1)) return PMI_WIRE_MALFORMED;
    int rc = append(line, &len, "cmd=");
    if (!rc) rc = append(line, &len, cmd);

    va_list ap;
    va_start(ap, cmd);
    const char *key;
    while (!rc && (key = va_arg(ap, const char *)) != NULL) {
        const char *val = va_arg(ap, const char *);
        if (!val || !token_ok(key, 1) || !token_ok(val, 0))
            rc = PMI_WIRE_MALFORMED;
        else if (strlen(key) > PMI_KEYLEN_MAX || strlen(val) > PMI_VALLEN_MAX)
            rc = PMI_WIRE_TOO_LONG;
        else if (!(rc = append(line, &len, " ")) && !(rc = append(line, &len, key)) &&
                 !(rc = append(line, &len, "=")))
            rc = append(line, &len, val);
    }
    va_end(ap);
    if (rc) return rc;
    line[len++] = '\n'; /* append() always leaves room for it */
    return write_all(fd, line, len);
}
