/* Choosing a provider and opening the fabric objects. The first provider
 * (in fi_getinfo's order of preference) that offers reliable datagrams with
 * tagged messages and RDMA read wins, unless FERRY_OFI_PROVIDER says
 * otherwise; the interface is left to the usual libfabric variables
 * (FI_TCP_IFACE, FI_VERBS_IFACE, ...). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/ferry.h"
#include "transports/ofi/filter.h"
#include "transports/ofi/ofi.h"

/* The memory registration modes Ferry knows how to honour. */
#define MR_MODES (FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY | FI_MR_ENDPOINT)

static struct fi_info *hints(uint64_t extra_caps)
{
    struct fi_info *h = ofi_lib.dupinfo(NULL); /* fi_allocinfo */
    if (!h) return NULL;
    h->caps = FI_TAGGED | FI_RMA | FI_READ | FI_REMOTE_READ | FI_SEND | FI_RECV | extra_caps;
    h->mode = FI_CONTEXT | FI_CONTEXT2;
    h->ep_attr->type = FI_EP_RDM;
    h->domain_attr->mr_mode = MR_MODES;
    h->domain_attr->threading = FI_THREAD_DOMAIN;
    h->domain_attr->resource_mgmt = FI_RM_ENABLED;
    /* Frames of one sender must arrive in order. */
    h->tx_attr->msg_order = FI_ORDER_SAS;
    h->rx_attr->msg_order = FI_ORDER_SAS;
    return h;
}

/* Loopback and link-local addresses cannot reach other nodes. */
static int local_only(const struct fi_info *i)
{
    if (!i->src_addr) return 0;
    if (i->addr_format == FI_SOCKADDR_IN && i->src_addrlen >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *s = i->src_addr;
        return (ntohl(s->sin_addr.s_addr) >> 24) == 127;
    }
    if (i->addr_format == FI_SOCKADDR_IN6 && i->src_addrlen >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *s = i->src_addr;
        return IN6_IS_ADDR_LOOPBACK(&s->sin6_addr) || IN6_IS_ADDR_LINKLOCAL(&s->sin6_addr);
    }
    return 0;
}

/* The provider to use from fi_getinfo's list, or NULL. With a list in
 * FERRY_OFI_PROVIDER, exact names beat layer names; without one, libfabric's
 * own shm provider is skipped (it never leaves the node). */
static struct fi_info *pick(struct fi_info *list, const char *spec)
{
    struct fi_info *best = NULL;
    int best_score = 0;
    for (struct fi_info *i = list; i; i = i->next) {
        const char *name = i->fabric_attr->prov_name;
        int m = ofi_filter_match(spec, name);
        if (!m) continue;
        if ((!spec || !*spec) && ofi_filter_match("shm", name) == 2) continue;
        if (i->domain_attr->mr_mode & ~(uint64_t)MR_MODES) continue;
        int score = 2 * m + !local_only(i);
        if (score > best_score) {
            best = i;
            best_score = score;
        }
    }
    return best;
}

static int getinfo(uint64_t extra_caps, struct fi_info **list)
{
    struct fi_info *h = hints(extra_caps);
    if (!h) return -FI_ENOMEM;
    int rc = ofi_lib.getinfo(FI_VERSION(1, 10), NULL, NULL, 0, h, list);
    ofi_lib.freeinfo(h);
    return rc;
}

int ofi_fabric_open(char *why, size_t whylen)
{
    const char *spec = getenv("FERRY_OFI_PROVIDER");
    struct fi_info *list = NULL, *chosen = NULL;
    int rc = ofi_lib_open(why, whylen);
    if (rc) return rc;
    /* Completions naming their sender let us check a frame's source rank;
     * take a provider without that only when none offers it. */
    rc = getinfo(FI_SOURCE, &list);
    if (rc == 0) chosen = pick(list, spec);
    ofi.has_source = chosen != NULL;
    if (!chosen) {
        ofi_lib.freeinfo(list);
        list = NULL;
        rc = getinfo(0, &list);
        if (rc == 0) chosen = pick(list, spec);
    }
    if (!chosen) {
        snprintf(why, whylen,
                 "no libfabric provider%s%s offers reliable datagrams with tagged "
                 "messages and RDMA read%s%s",
                 spec ? " allowed by FERRY_OFI_PROVIDER=" : "", spec ? spec : "", rc ? ": " : "",
                 rc ? ofi_strerror(-rc) : "");
        ofi_lib.freeinfo(list);
        return FERRY_ERR_TRANSPORT;
    }
    ofi.info = ofi_lib.dupinfo(chosen);
    ofi_lib.freeinfo(list);
    if (!ofi.info) return FERRY_ERR_NOMEM;
    struct fi_info *i = ofi.info;
    ofi.mr_mode = i->domain_attr->mr_mode;
    ofi.inject_max = i->tx_attr->inject_size;
    ofi.read_max =
        i->ep_attr->max_msg_size < OFI_READ_CHUNK ? i->ep_attr->max_msg_size : OFI_READ_CHUNK;
    ofi.wait_fd = -1;

    const char *step = "fi_fabric";
    rc = ofi_lib.fabric(i->fabric_attr, &ofi.fabric, NULL);
    if (!rc) step = "fi_domain", rc = fi_domain(ofi.fabric, i, &ofi.domain, NULL);
    if (!rc) {
        struct fi_av_attr av = {.type = FI_AV_TABLE, .count = (size_t)ofi.size};
        step = "fi_av_open", rc = fi_av_open(ofi.domain, &av, &ofi.av, NULL);
    }
    if (!rc) {
        struct fi_cq_attr cq = {.format = FI_CQ_FORMAT_TAGGED,
                                .size = OFI_TX_SLOTS + OFI_RX_BUFS + 256,
                                .wait_obj = FI_WAIT_FD};
        step = "fi_cq_open";
        /* A wait fd lets an idle rank sleep until the fabric has news;
         * without one it sleeps in short naps. */
        if (getenv("FERRY_OFI_WAIT") && strcmp(getenv("FERRY_OFI_WAIT"), "none") == 0)
            cq.wait_obj = FI_WAIT_NONE;
        rc = fi_cq_open(ofi.domain, &cq, &ofi.cq, NULL);
        if (rc && cq.wait_obj != FI_WAIT_NONE) {
            cq.wait_obj = FI_WAIT_NONE;
            rc = fi_cq_open(ofi.domain, &cq, &ofi.cq, NULL);
        } else if (!rc && cq.wait_obj == FI_WAIT_FD &&
                   fi_control(&ofi.cq->fid, FI_GETWAIT, &ofi.wait_fd) != 0) {
            ofi.wait_fd = -1;
        }
    }
    if (!rc) step = "fi_endpoint", rc = fi_endpoint(ofi.domain, i, &ofi.ep, NULL);
    if (!rc) step = "fi_ep_bind(av)", rc = fi_ep_bind(ofi.ep, &ofi.av->fid, 0);
    if (!rc) step = "fi_ep_bind(cq)", rc = fi_ep_bind(ofi.ep, &ofi.cq->fid, FI_TRANSMIT | FI_RECV);
    if (!rc) step = "fi_enable", rc = fi_enable(ofi.ep);
    if (rc) {
        snprintf(why, whylen, "%s failed on provider %s: %s", step, i->fabric_attr->prov_name,
                 ofi_strerror(-rc));
        ofi_fabric_close();
        return FERRY_ERR_TRANSPORT;
    }
    return FERRY_OK;
}

static void close_fid(struct fid **f)
{
    if (*f) fi_close(*f);
    *f = NULL;
}

void ofi_fabric_close(void)
{
    close_fid((struct fid **)&ofi.ep);
    close_fid((struct fid **)&ofi.av);
    close_fid((struct fid **)&ofi.cq);
    close_fid((struct fid **)&ofi.domain);
    close_fid((struct fid **)&ofi.fabric);
    if (ofi.info) ofi_lib.freeinfo(ofi.info);
    ofi.info = NULL;
    ofi.wait_fd = -1;
}

void ofi_fabric_describe(char *buf, size_t len)
{
    const struct fi_info *i = ofi.info;
    snprintf(buf, len, "provider %s, fabric %s, domain %s, %s, %s", i->fabric_attr->prov_name,
             i->fabric_attr->name, i->domain_attr->name,
             ofi.wait_fd >= 0 ? "sleeps on the CQ's fd" : "naps while idle",
             ofi.has_source ? "source-checked" : "tag-checked");
}

int ofi_mr_reg(void *buf, size_t len, uint64_t access, struct fid_mr **mr)
{
    uint64_t key = ofi.mr_mode & FI_MR_PROV_KEY ? 0 : ofi.next_key++;
    int rc = fi_mr_reg(ofi.domain, buf, len, access, 0, key, 0, mr, NULL);
    if (rc) return rc;
    if (ofi.mr_mode & FI_MR_ENDPOINT) {
        rc = fi_mr_bind(*mr, &ofi.ep->fid, 0);
        if (!rc) rc = fi_mr_enable(*mr);
        if (rc) {
            fi_close(&(*mr)->fid);
            *mr = NULL;
        }
    }
    return rc;
}
