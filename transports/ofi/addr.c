/* Addresses through the PMI store: each rank puts its endpoint's name as
 * hex (in pieces, see codec.h) under "ferry.ofi.RANK" and ".RANK.I"; after
 * the fence, a rank gets those of the peers it reaches through the fabric
 * and inserts them into its address vector. */
#include <rdma/fi_cm.h>
#include <rdma/fi_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/ferry.h"
#include "runtime/core/world.h"
#include "runtime/wireup/pmi_client.h"
#include "transports/ofi/ofi.h"

#define VAL_MAX (OFI_CHUNK_HEX + OFI_HOST_MAX + 32)

static void piece_key(char *key, size_t cap, int rank, int i)
{
    if (i == 0)
        snprintf(key, cap, "ferry.ofi.%d", rank);
    else
        snprintf(key, cap, "ferry.ofi.%d.%d", rank, i);
}

int ofi_addr_publish(void)
{
    uint8_t small[256], *name = small;
    size_t len = sizeof small;
    int rc = fi_getname(&ofi.ep->fid, name, &len);
    if (rc == -FI_ETOOSMALL && len <= OFI_ADDR_MAX) {
        name = malloc(len);
        if (!name) return FERRY_ERR_NOMEM;
        rc = fi_getname(&ofi.ep->fid, name, &len);
    }
    if (rc || len == 0 || len > OFI_ADDR_MAX) {
        ferry_log("ofi: cannot read this endpoint's address: %s",
                  ofi_strerror(rc ? -rc : FI_EINVAL));
        if (name != small) free(name);
        return FERRY_ERR_TRANSPORT;
    }
    char key[64], val[VAL_MAX];
    int n = ofi_codec_pieces(len);
    for (int i = 0; i < n && !rc; i++) {
        piece_key(key, sizeof key, ofi.me, i);
        if (ofi_codec_piece(name, len, ofi.host, i, val, sizeof val) != 0)
            rc = FERRY_ERR_INTERNAL;
        else
            rc = pmi_client_put(key, val);
    }
    if (name != small) free(name);
    if (rc) ferry_log("ofi: cannot publish this endpoint's address: %s", ferry_strerror(rc));
    return rc;
}

static int fetch(int rank, uint8_t **out, size_t *len, char *host)
{
    char key[64], val[VAL_MAX];
    const char *hex;
    piece_key(key, sizeof key, rank, 0);
    int rc = pmi_client_get(key, val, sizeof val);
    if (rc) return rc;
    if (ofi_codec_head(val, len, host, OFI_HOST_MAX, &hex) != 0) return FERRY_ERR_PEER;
    uint8_t *a = malloc(*len);
    if (!a) return FERRY_ERR_NOMEM;
    int n = ofi_codec_pieces(*len);
    size_t per = OFI_CHUNK_HEX / 2;
    for (int i = 0; i < n; i++) {
        size_t off = (size_t)i * per, cnt = *len - off < per ? *len - off : per;
        if (i > 0) {
            piece_key(key, sizeof key, rank, i);
            if ((rc = pmi_client_get(key, val, sizeof val))) break;
            hex = val;
        }
        if (ofi_codec_hex(hex, a + off, cnt) != 0) {
            rc = FERRY_ERR_PEER;
            break;
        }
    }
    if (rc) {
        free(a);
        return rc;
    }
    *out = a;
    return FERRY_OK;
}

int ofi_addr_resolve(int rank)
{
    struct ofi_peer *p = &ofi.peers[rank];
    if (p->resolved) return FERRY_OK;
    uint8_t *a = NULL;
    size_t len = 0;
    int rc = fetch(rank, &a, &len, p->host);
    if (rc) {
        ferry_log("ofi: no usable address for rank %d in the PMI store: %s", rank,
                  rc == FERRY_ERR_PEER ? "malformed" : ferry_strerror(rc));
        snprintf(p->host, sizeof p->host, "?");
        return rc == FERRY_ERR_NOMEM ? rc : FERRY_ERR_PEER;
    }
    fi_addr_t fa = FI_ADDR_NOTAVAIL;
    int n = fi_av_insert(ofi.av, a, 1, &fa, 0, NULL);
    free(a);
    if (n != 1 || fa == FI_ADDR_NOTAVAIL) {
        ferry_log("ofi: cannot add rank %d (host %s) to the address vector: %s", rank, p->host,
                  ofi_strerror(n < 0 ? -n : FI_EINVAL));
        return FERRY_ERR_PEER;
    }
    /* A table AV numbers addresses from 0 in insertion order. */
    if (fa < (fi_addr_t)ofi.size) ofi.rank_of[fa] = rank;
    p->addr = fa;
    p->resolved = 1;
    return FERRY_OK;
}
