/* A fabric address as PMI values: hex text, split into pieces short enough
 * for any PMI-1 launcher's value limit. Pure: no I/O, unit-tested. */
#ifndef FERRY_OFI_CODEC_H
#define FERRY_OFI_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Hex characters per PMI value: fits MPICH's and Slurm's 1024-byte limit
 * with room for the prefix of the first piece. */
#define OFI_CHUNK_HEX 512
/* Longest address accepted from a peer (EFA and CXI addresses are tens of
 * bytes; this leaves ample room without trusting a peer's length). */
#define OFI_ADDR_MAX 4096
#define OFI_HOST_MAX 256

/* Number of pieces an address of len bytes takes. */
int ofi_codec_pieces(size_t len);
/* Piece i of addr (len bytes), NUL-terminated hex into out (cap >=
 * OFI_CHUNK_HEX + 1). The first piece is "LEN:HOST:HEX", the others "HEX". */
int ofi_codec_piece(const uint8_t *addr, size_t len, const char *host, int i, char *out,
                    size_t cap);
/* Parse the first piece: the address length, the host, and the hex of the
 * first piece. 0, or -1 when malformed. */
int ofi_codec_head(const char *v, size_t *len, char *host, size_t hostcap, const char **hex);
/* Decode hex into out[off..); nbytes must match the hex length exactly
 * (2 chars per byte). 0, or -1 when malformed. */
int ofi_codec_hex(const char *hex, uint8_t *out, size_t nbytes);

#endif
