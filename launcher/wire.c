#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/wire.h"

static void grow(struct wbuf *b, size_t more)
{
    if (b->oom) return;
    if (b->len + more <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return;
    }
    b->p = p;
    b->cap = cap;
}

static void put(struct wbuf *b, const void *p, size_t n)
{
    grow(b, n);
    if (b->oom) return;
    if (n) memcpy(b->p + b->len, p, n);
    b->len += n;
}

void wbuf_start(struct wbuf *b, enum wire_type t)
{
    memset(b, 0, sizeof *b);
    uint8_t h[WIRE_HDR] = {0, 0, 0, 0, (uint8_t)(t >> 8), (uint8_t)t};
    put(b, h, sizeof h);
}

void wbuf_u8(struct wbuf *b, uint8_t v)
{
    put(b, &v, 1);
}

void wbuf_u32(struct wbuf *b, uint32_t v)
{
    uint32_t n = htonl(v);
    put(b, &n, 4);
}

void wbuf_bytes(struct wbuf *b, const void *p, size_t n)
{
    if (n > WIRE_FRAME_MAX) {
        b->oom = 1;
        return;
    }
    wbuf_u32(b, (uint32_t)n);
    put(b, p, n);
}

void wbuf_raw(struct wbuf *b, const void *p, size_t n)
{
    put(b, p, n);
}

void wbuf_str(struct wbuf *b, const char *s)
{
    wbuf_bytes(b, s, strlen(s));
}

int wbuf_finish(struct wbuf *b)
{
    if (b->oom || b->len - 4 > WIRE_FRAME_MAX) return -1;
    uint32_t n = htonl((uint32_t)(b->len - 4));
    memcpy(b->p, &n, 4);
    return 0;
}

void wbuf_free(struct wbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

void wread_init(struct wread *r, const void *body, size_t len)
{
    r->p = body;
    r->left = len;
    r->bad = 0;
}

static int take(struct wread *r, void *out, size_t n)
{
    if (r->bad || r->left < n) {
        r->bad = 1;
        memset(out, 0, n);
        return -1;
    }
    memcpy(out, r->p, n);
    r->p += n;
    r->left -= n;
    return 0;
}

uint8_t wread_u8(struct wread *r)
{
    uint8_t v;
    take(r, &v, 1);
    return v;
}

uint32_t wread_u32(struct wread *r)
{
    uint32_t v;
    take(r, &v, 4);
    return ntohl(v);
}

const char *wread_bytes(struct wread *r, size_t *n)
{
    uint32_t len = wread_u32(r);
    if (r->bad || r->left < len) {
        r->bad = 1;
        *n = 0;
        return NULL;
    }
    const char *s = (const char *)r->p;
    r->p += len;
    r->left -= len;
    *n = len;
    return s;
}

char *wread_strdup(struct wread *r, size_t max)
{
    size_t n;
    const char *s = wread_bytes(r, &n);
    if (!s || n > max || memchr(s, '\0', n)) {
        r->bad = 1;
        return NULL;
    }
    char *c = malloc(n + 1);
    if (!c) {
        r->bad = 1;
        return NULL;
    }
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

int wread_done(const struct wread *r)
{
    return !r->bad && r->left == 0;
}

int wire_header(const uint8_t *h, uint16_t *type, size_t *body_len)
{
    uint32_t n;
    memcpy(&n, h, 4);
    n = ntohl(n);
    if (n < 2 || n - 2 > WIRE_FRAME_MAX) return -1;
    *type = (uint16_t)(h[4] << 8 | h[5]);
    *body_len = n - 2;
    return 0;
}
