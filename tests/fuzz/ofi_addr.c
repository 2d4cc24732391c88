/* Fabric addresses as ranks publish them in the PMI store
 * (transports/ofi/codec.c): "LEN:HOST:HEX" then more hex pieces, read as
 * the ofi transport's address lookup reads another rank's. A malformed
 * address is refused; one that decodes encodes back to the same pieces.
 * Also the provider filter (FERRY_OFI_PROVIDER) on any spec and name.
 *
 * Input: [mode][...]. Mode 0: pieces separated by NUL bytes. Mode 1: an
 * address [hostlen][host][bytes] to encode and decode. Mode 2: a spec and
 * a provider name separated by a NUL byte. */
#include <strings.h>

#include "transports/ofi/codec.h"
#include "transports/ofi/filter.h"
#include "tests/fuzz/fuzz.h"

#define PIECE_MAX (OFI_CHUNK_HEX + OFI_HOST_MAX + 32)

/* Decode as the transport does: the head, then each piece in turn. */
static uint8_t *decode(char **pieces, int npieces, size_t *len, char *host)
{
    const char *hex;
    if (npieces < 1 || ofi_codec_head(pieces[0], len, host, OFI_HOST_MAX, &hex) != 0) return NULL;
    FUZZ_CHECK(*len >= 1 && *len <= OFI_ADDR_MAX && strlen(host) < OFI_HOST_MAX && *host);
    uint8_t *a = malloc(*len);
    FUZZ_CHECK(a != NULL);
    int n = ofi_codec_pieces(*len);
    size_t per = OFI_CHUNK_HEX / 2;
    for (int i = 0; i < n; i++) {
        size_t off = (size_t)i * per, cnt = *len - off < per ? *len - off : per;
        /* A piece missing from the store is a failed lookup. */
        if (i > 0) hex = i < npieces ? pieces[i] : NULL;
        if (!hex || ofi_codec_hex(hex, a + off, cnt) != 0) {
            free(a);
            return NULL;
        }
    }
    return a;
}

static void encode_decode(const uint8_t *addr, size_t len, const char *host)
{
    int n = ofi_codec_pieces(len);
    FUZZ_CHECK(n >= 1);
    char **pieces = calloc((size_t)n, sizeof *pieces);
    FUZZ_CHECK(pieces != NULL);
    for (int i = 0; i < n; i++) {
        pieces[i] = malloc(PIECE_MAX);
        FUZZ_CHECK(pieces[i] && ofi_codec_piece(addr, len, host, i, pieces[i], PIECE_MAX) == 0);
        FUZZ_CHECK(strlen(pieces[i]) <= OFI_CHUNK_HEX + (i ? 0 : OFI_HOST_MAX + 8));
    }
    size_t got;
    char h[OFI_HOST_MAX];
    uint8_t *back = decode(pieces, n, &got, h);
    /* Only what the transport publishes must come back: a host with no
     * ':' and an address of 1..OFI_ADDR_MAX bytes. */
    if (len && len <= OFI_ADDR_MAX && *host && !strchr(host, ':'))
        FUZZ_CHECK(back && got == len && memcmp(back, addr, len) == 0 && strcmp(h, host) == 0);
    free(back);
    for (int i = 0; i < n; i++) free(pieces[i]);
    free(pieces);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = {data, size};
    uint8_t mode = fz_u8(&f) % 3;
    /* The rest as NUL-terminated words, each in a block of its own size. */
    char *words[64];
    int nwords = 0;
    size_t start = 0;
    for (size_t i = 0; i <= f.n && nwords < 64; i++) {
        if (i < f.n && f.p[i]) continue;
        words[nwords] = malloc(i - start + 1);
        FUZZ_CHECK(words[nwords] != NULL);
        memcpy(words[nwords], f.p + start, i - start);
        words[nwords++][i - start] = '\0';
        start = i + 1;
    }
    if (mode == 0) {
        size_t len;
        char host[OFI_HOST_MAX];
        uint8_t *a = decode(words, nwords, &len, host);
        if (a) {
            /* What decoded encodes back to the same pieces (in lower case). */
            for (int i = 0; i < ofi_codec_pieces(len); i++) {
                char piece[PIECE_MAX];
                FUZZ_CHECK(ofi_codec_piece(a, len, host, i, piece, sizeof piece) == 0);
                const char *orig = words[i];
                if (i == 0) orig = strchr(strchr(orig, ':') + 1, ':') + 1;
                const char *mine = i == 0 ? strchr(strchr(piece, ':') + 1, ':') + 1 : piece;
                FUZZ_CHECK(strlen(orig) == strlen(mine) &&
                           strncasecmp(orig, mine, strlen(mine)) == 0);
            }
            free(a);
        }
    } else if (mode == 1) {
        size_t hl = fz_u8(&f) % OFI_HOST_MAX, n;
        char host[OFI_HOST_MAX];
        const uint8_t *h = fz_bytes(&f, hl, &n);
        memcpy(host, h, n);
        host[n] = '\0';
        size_t len;
        const uint8_t *addr = fz_bytes(&f, OFI_ADDR_MAX + 16, &len);
        encode_decode(addr, len, host);
    } else {
        int m = ofi_filter_match(words[0], nwords > 1 ? words[1] : "tcp;ofi_rxm");
        FUZZ_CHECK(m >= 0 && m <= 2);
        FUZZ_CHECK(ofi_filter_match(NULL, words[0]) == 1 && ofi_filter_match("", words[0]) == 1);
    }
    for (int i = 0; i < nwords; i++) free(words[i]);
    return 0;
}
