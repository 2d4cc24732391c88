#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transports/ofi/codec.h"

#define BYTES_PER_PIECE (OFI_CHUNK_HEX / 2)

int ofi_codec_pieces(size_t len)
{
    return len ? (int)((len + BYTES_PER_PIECE - 1) / BYTES_PER_PIECE) : 1;
}

int ofi_codec_piece(const uint8_t *addr, size_t len, const char *host, int i, char *out, size_t cap)
{
    static const char digits[] = "0123456789abcdef";
    size_t off = (size_t)i * BYTES_PER_PIECE;
    if (i < 0 || i >= ofi_codec_pieces(len)) return -1;
    size_t n = len - off < BYTES_PER_PIECE ? len - off : BYTES_PER_PIECE;
    size_t pos = 0;
    if (i == 0) {
        int w = snprintf(out, cap, "%zu:%s:", len, host);
        if (w < 0 || (size_t)w >= cap) return -1;
        pos = (size_t)w;
    }
    if (pos + 2 * n + 1 > cap) return -1;
    for (size_t k = 0; k < n; k++) {
        out[pos++] = digits[addr[off + k] >> 4];
        out[pos++] = digits[addr[off + k] & 15];
    }
    out[pos] = '\0';
    return 0;
}

int ofi_codec_head(const char *v, size_t *len, char *host, size_t hostcap, const char **hex)
{
    if (*v < '0' || *v > '9') return -1;
    char *end;
    unsigned long long l = strtoull(v, &end, 10);
    if (*end != ':' || l == 0 || l > OFI_ADDR_MAX) return -1;
    const char *h = end + 1, *colon = strchr(h, ':');
    if (!colon || colon == h || (size_t)(colon - h) >= hostcap) return -1;
    memcpy(host, h, (size_t)(colon - h));
    host[colon - h] = '\0';
    *len = (size_t)l;
    *hex = colon + 1;
    return 0;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int ofi_codec_hex(const char *hex, uint8_t *out, size_t nbytes)
{
    if (strlen(hex) != 2 * nbytes) return -1;
    for (size_t k = 0; k < nbytes; k++) {
        int hi = nibble(hex[2 * k]), lo = nibble(hex[2 * k + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[k] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
