#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "launcher/link.h"

#define READ_CHUNK       65536
#define MAX_FRAME_UNAUTH 4096

void link_init(struct link *l, int fd, int64_t now)
{
    memset(l, 0, sizeof *l);
    l->fd = fd;
    l->max_frame = MAX_FRAME_UNAUTH;
    l->last_rx = l->last_tx = now;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* Unacknowledged data on a cut link fails the socket in this time
     * rather than after the kernel's quarter of an hour. */
    unsigned ms = LINK_DEAD_MS;
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
}

void link_close(struct link *l, const char *why)
{
    if (l->fd < 0) return;
    close(l->fd);
    l->fd = -1;
    snprintf(l->why, sizeof l->why, "%s", why);
}

void link_free(struct link *l)
{
    link_close(l, "closed");
    free(l->in);
    free(l->out);
    l->in = l->out = NULL;
    l->inlen = l->incap = l->outlen = l->outoff = l->outcap = 0;
}

size_t link_backlog(const struct link *l)
{
    return l->outlen - l->outoff;
}

void link_flush(struct link *l, int64_t now)
{
    while (l->fd >= 0 && l->outoff < l->outlen) {
        ssize_t w = send(l->fd, l->out + l->outoff, l->outlen - l->outoff, MSG_NOSIGNAL);
        if (w > 0) {
            l->outoff += (size_t)w;
            l->last_tx = now;
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        char why[128];
        snprintf(why, sizeof why, "send failed: %s", strerror(errno));
        link_close(l, why);
        return;
    }
    if (l->outoff == l->outlen) l->outoff = l->outlen = 0;
}

int link_send(struct link *l, struct wbuf *b, int64_t now)
{
    if (l->fd < 0) return -1;
    if (b->oom || b->len < WIRE_HDR) {
        link_close(l, "out of memory building a message");
        return -1;
    }
    if (link_backlog(l) + b->len > LINK_OUT_MAX) {
        link_close(l, "the peer stopped reading");
        return -1;
    }
    if (l->outoff && l->outlen + b->len > l->outcap) {
        memmove(l->out, l->out + l->outoff, l->outlen - l->outoff);
        l->outlen -= l->outoff;
        l->outoff = 0;
    }
    if (l->outlen + b->len > l->outcap) {
        size_t cap = l->outcap ? l->outcap : 65536;
        while (cap < l->outlen + b->len) cap *= 2;
        uint8_t *p = realloc(l->out, cap);
        if (!p) {
            link_close(l, "out of memory queueing a message");
            return -1;
        }
        l->out = p;
        l->outcap = cap;
    }
    memcpy(l->out + l->outlen, b->p, b->len);
    l->outlen += b->len;
    link_flush(l, now);
    return l->fd < 0 ? -1 : 0;
}

int link_send_empty(struct link *l, enum wire_type t, int64_t now)
{
    struct wbuf b;
    wbuf_start(&b, t);
    wbuf_finish(&b);
    int rc = link_send(l, &b, now);
    wbuf_free(&b);
    return rc;
}

/* Hand every complete frame in the buffer to fn. */
static void frames(struct link *l, link_frame_fn fn, void *ctx)
{
    size_t off = 0;
    while (l->fd >= 0 && l->inlen - off >= WIRE_HDR) {
        uint16_t type;
        size_t body;
        if (wire_header(l->in + off, &type, &body) != 0 || body > l->max_frame) {
            link_close(l, "a malformed message (bad length)");
            return;
        }
        if (l->inlen - off < WIRE_HDR + body) break;
        const uint8_t *p = l->in + off + WIRE_HDR;
        off += WIRE_HDR + body;
        if (type != W_PING) fn(ctx, type, p, body);
    }
    if (l->fd < 0) return;
    memmove(l->in, l->in + off, l->inlen - off);
    l->inlen -= off;
}

int link_read(struct link *l, link_frame_fn fn, void *ctx, int64_t now)
{
    for (int round = 0; l->fd >= 0 && round < 16; round++) {
        /* Room for a chunk, or for the whole frame being read. */
        size_t need = READ_CHUNK;
        if (l->inlen >= WIRE_HDR) {
            uint16_t type;
            size_t body;
            if (wire_header(l->in, &type, &body) == 0 && body <= l->max_frame &&
                WIRE_HDR + body > l->inlen + need)
                need = WIRE_HDR + body - l->inlen;
        }
        if (l->inlen + need > l->incap) {
            size_t cap = l->incap ? l->incap : READ_CHUNK;
            while (cap < l->inlen + need) cap *= 2;
            uint8_t *p = realloc(l->in, cap);
            if (!p) {
                link_close(l, "out of memory reading a message");
                break;
            }
            l->in = p;
            l->incap = cap;
        }
        ssize_t n = recv(l->fd, l->in + l->inlen, l->incap - l->inlen, 0);
        if (n > 0) {
            l->inlen += (size_t)n;
            l->last_rx = now;
            frames(l, fn, ctx);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        char why[128];
        snprintf(why, sizeof why, "%s", n == 0 ? "the connection closed" : strerror(errno));
        link_close(l, why);
    }
    return l->fd < 0 ? -1 : 0;
}

int link_tick(struct link *l, int64_t now)
{
    if (l->fd < 0) return -1;
    if (now - l->last_rx >= LINK_DEAD_MS) {
        char why[96];
        snprintf(why, sizeof why, "no word for %d s", LINK_DEAD_MS / 1000);
        link_close(l, why);
        return -1;
    }
    if (now - l->last_tx >= LINK_PING_MS && link_backlog(l) == 0) link_send_empty(l, W_PING, now);
    return l->fd < 0 ? -1 : 0;
}

int64_t link_next_tick(const struct link *l)
{
    int64_t a = l->last_tx + LINK_PING_MS, b = l->last_rx + LINK_DEAD_MS;
    return a < b ? a : b;
}
