/* libfabric, opened when the fabric transport starts rather than when a
 * program loads. Linking it pulls in every provider's libraries, and their
 * constructors (PSM's clock calibration among them) cost each process
 * 0.2-0.4 s at start-up on this kind of machine, single-node jobs included.
 * Only these entry points are functions; the rest of the API is inline
 * calls through the objects they return. */
#ifndef FERRY_OFI_LIB_H
#define FERRY_OFI_LIB_H

#include <rdma/fabric.h>
#include <stddef.h>
#include <stdint.h>

struct ofi_lib {
    int (*getinfo)(uint32_t version, const char *node, const char *service, uint64_t flags,
                   const struct fi_info *hints, struct fi_info **info);
    void (*freeinfo)(struct fi_info *info);
    struct fi_info *(*dupinfo)(const struct fi_info *info);
    int (*fabric)(struct fi_fabric_attr *attr, struct fid_fabric **fabric, void *context);
    const char *(*strerror)(int errnum);
};
extern struct ofi_lib ofi_lib;

/* Open libfabric once; on failure say why in why. */
int ofi_lib_open(char *why, size_t len);
/* fi_strerror, also before libfabric is open. */
const char *ofi_strerror(int errnum);

#endif
