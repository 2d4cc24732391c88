/* Frames: a header and a payload of up to OFI_MAX_EAGER bytes, sent as one
 * tagged message. Small frames are injected (no completion, no buffer);
 * others are copied into a registered send slot, so the caller's buffer is
 * free when send() returns. Receives land in pre-posted buffers, re-posted
 * once the runtime has taken the frame.
 *
 * The tag carries the sender's rank beside OFI_TAG_FRAME; with FI_SOURCE
 * the completion's address must name that same rank. */
#include <rdma/fi_errno.h>
#include <rdma/fi_tagged.h>
#include <stdlib.h>
#include <string.h>

#include "include/ferry.h"
#include "runtime/core/world.h"
#include "transports/ofi/ofi.h"

#define TAG_RANK_SHIFT 16
#define TAG_IGNORE     (~(uint64_t)0 << TAG_RANK_SHIFT)

struct tx_slot {
    struct ofi_ctx ctx;
    int rank;
    int next_free;
};

struct rx_buf {
    struct ofi_ctx ctx;
    int posted;
};

static struct {
    char *tx_mem, *rx_mem;
    struct fid_mr *tx_mr, *rx_mr;
    void *tx_desc, *rx_desc;
    struct tx_slot tx[OFI_TX_SLOTS];
    struct rx_buf rx[OFI_RX_BUFS];
    int free_head, nbusy, unposted;
} eg;

static int post(int i)
{
    struct rx_buf *b = &eg.rx[i];
    int rc = fi_trecv(ofi.ep, eg.rx_mem + (size_t)i * OFI_FRAME_MAX, OFI_FRAME_MAX, eg.rx_desc,
                      FI_ADDR_UNSPEC, OFI_TAG_FRAME, TAG_IGNORE, &b->ctx.fi);
    b->posted = rc == 0;
    return rc;
}

int ofi_eager_init(void)
{
    size_t bytes =
        (size_t)OFI_FRAME_MAX * (OFI_TX_SLOTS > OFI_RX_BUFS ? OFI_TX_SLOTS : OFI_RX_BUFS);
    if (posix_memalign((void **)&eg.tx_mem, 4096, bytes) ||
        posix_memalign((void **)&eg.rx_mem, 4096, bytes))
        return FERRY_ERR_NOMEM;
    if (ofi.mr_mode & FI_MR_LOCAL) {
        if (ofi_mr_reg(eg.tx_mem, bytes, FI_SEND, &eg.tx_mr) ||
            ofi_mr_reg(eg.rx_mem, bytes, FI_RECV, &eg.rx_mr)) {
            ferry_log("ofi: cannot register the frame buffers");
            return FERRY_ERR_TRANSPORT;
        }
        eg.tx_desc = fi_mr_desc(eg.tx_mr);
        eg.rx_desc = fi_mr_desc(eg.rx_mr);
    }
    for (int i = 0; i < OFI_TX_SLOTS; i++) {
        eg.tx[i].ctx.op = OFI_OP_SEND;
        eg.tx[i].next_free = i + 1 < OFI_TX_SLOTS ? i + 1 : -1;
    }
    eg.free_head = 0;
    for (int i = 0; i < OFI_RX_BUFS; i++) {
        eg.rx[i].ctx.op = OFI_OP_RECV;
        int rc = post(i);
        if (rc && rc != -FI_EAGAIN) {
            ferry_log("ofi: cannot post a receive: %s", ofi_strerror(-rc));
            return FERRY_ERR_TRANSPORT;
        }
        eg.unposted += rc != 0;
    }
    return FERRY_OK;
}

void ofi_eager_fini(void)
{
    /* The endpoint is closed first: nothing refers to the buffers now. */
    if (eg.tx_mr) fi_close(&eg.tx_mr->fid);
    if (eg.rx_mr) fi_close(&eg.rx_mr->fid);
    free(eg.tx_mem);
    free(eg.rx_mem);
    memset(&eg, 0, sizeof eg);
}

int ofi_eager_repost(void)
{
    for (int i = 0; eg.unposted && i < OFI_RX_BUFS; i++)
        if (!eg.rx[i].posted && post(i) == 0) eg.unposted--;
    return eg.unposted == 0;
}

int ofi_eager_busy(void)
{
    return eg.nbusy;
}

static int send_frame(int rank, const struct ferry_hdr *h, const void *p, size_t len)
{
    struct ofi_peer *peer = &ofi.peers[rank];
    size_t total = sizeof *h + len;
    uint64_t tag = OFI_TAG_FRAME | (uint64_t)ofi.me << TAG_RANK_SHIFT;
    if (total <= ofi.inject_max) {
        char buf[256];
        if (total <= sizeof buf) {
            memcpy(buf, h, sizeof *h);
            if (len) memcpy(buf + sizeof *h, p, len);
            return fi_tinject(ofi.ep, buf, total, peer->addr, tag);
        }
    }
    if (eg.free_head < 0) return -FI_EAGAIN;
    int i = eg.free_head;
    struct tx_slot *s = &eg.tx[i];
    char *data = eg.tx_mem + (size_t)i * OFI_FRAME_MAX;
    memcpy(data, h, sizeof *h);
    if (len) memcpy(data + sizeof *h, p, len);
    int rc = fi_tsend(ofi.ep, data, total, eg.tx_desc, peer->addr, tag, &s->ctx.fi);
    if (rc) return rc;
    eg.free_head = s->next_free;
    s->rank = rank;
    eg.nbusy++;
    return 0;
}

int ofi_eager_send(int rank, const struct ferry_hdr *h, const void *p, size_t len)
{
    if (len > OFI_MAX_EAGER) return FERRY_ERR_INVALID;
    /* An RTS names a buffer the peer will read: register it now and send
     * the key along. */
    struct ferry_rndv r;
    int rts = h->kind == FRAME_RTS && len == sizeof r;
    if (rts) {
        memcpy(&r, p, sizeof r);
        int rc = ofi_rndv_prepare(rank, &r);
        if (rc) return rc;
        p = &r;
    }
    int rc = send_frame(rank, h, p, len);
    if (rc == 0) {
        ofi_peer_ok(rank);
        return FERRY_OK;
    }
    if (rts) ofi_rndv_release(rank, r.cookie);
    if (rc == -FI_EAGAIN) {
        ofi_peer_stalled(rank, "sending");
        if (!ofi.peers[rank].failed) return FERRY_ERR_WOULDBLOCK;
        return FERRY_ERR_PEER;
    }
    ofi_peer_failed(rank, "sending", ofi_strerror(-rc));
    return FERRY_ERR_PEER;
}

void ofi_eager_ping(int rank)
{
    struct ferry_hdr h = {.src = (uint32_t)ofi.me, .kind = OFI_FRAME_PING};
    int rc = send_frame(rank, &h, NULL, 0);
    if (rc == 0)
        ofi_peer_ok(rank);
    else if (rc == -FI_EAGAIN)
        ofi_peer_stalled(rank, "waiting for it to read a large message");
    else
        ofi_peer_failed(rank, "waiting for it to read a large message", ofi_strerror(-rc));
}

void ofi_eager_send_done(struct ofi_ctx *c, int error, const char *why)
{
    struct tx_slot *s = (struct tx_slot *)c;
    s->next_free = eg.free_head;
    eg.free_head = (int)(s - eg.tx);
    eg.nbusy--;
    if (error)
        ofi_peer_failed(s->rank, "sending", why);
    else
        ofi_peer_ok(s->rank);
}

void ofi_eager_recv_done(struct ofi_ctx *c, size_t len, uint64_t tag, int source, int error)
{
    struct rx_buf *b = (struct rx_buf *)c;
    int i = (int)(b - eg.rx);
    const char *data = eg.rx_mem + (size_t)i * OFI_FRAME_MAX;
    b->posted = 0;
    if (error) {
        if (error != FI_ECANCELED) ferry_log("ofi: a receive failed: %s", ofi_strerror(error));
    } else {
        uint64_t claimed = tag >> TAG_RANK_SHIFT;
        struct ferry_hdr h;
        if (len >= sizeof h) memcpy(&h, data, sizeof h);
        int rank = source;
        if (!ofi.has_source) rank = claimed < (uint64_t)ofi.size ? (int)claimed : -1;
        if (len < sizeof h || len > OFI_FRAME_MAX || rank < 0 || rank >= ofi.size ||
            claimed != (uint64_t)rank || h.src != (uint32_t)rank ||
            (h.kind >= FRAME_TRANSPORT && h.kind != OFI_FRAME_PING)) {
            ferry_log("ofi: dropping a malformed frame (%zu bytes, claimed rank %llu)", len,
                      (unsigned long long)claimed);
        } else if (!ofi.peers[rank].failed) {
            ofi_peer_ok(rank);
            ofi.peers[rank].heard = ofi_now_ms();
            /* A ping's arrival was the answer: nothing for the runtime. */
            if (h.kind != OFI_FRAME_PING) {
                if (h.kind == FRAME_FIN || h.kind == FRAME_DEAD) ofi_rndv_release(rank, h.tag);
                ofi.deliver(&h, data + sizeof h, len - sizeof h);
            }
        }
    }
    if (post(i) != 0) eg.unposted++;
}
