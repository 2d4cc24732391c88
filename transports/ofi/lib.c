/* Opening libfabric at run time (lib.h). */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "include/ferry.h"
#include "transports/ofi/lib.h"

#define LIBFABRIC "libfabric.so.1"

struct ofi_lib ofi_lib;

int ofi_lib_open(char *why, size_t len)
{
    if (ofi_lib.getinfo) return FERRY_OK;
    /* Never closed: providers may leave threads and handlers behind. */
    void *h = dlopen(LIBFABRIC, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why, len, "cannot load %s: %s", LIBFABRIC, dlerror());
        return FERRY_ERR_TRANSPORT;
    }
    struct {
        const char *name;
        void **fn;
    } want[] = {
        {"fi_getinfo", (void **)&ofi_lib.getinfo},   {"fi_freeinfo", (void **)&ofi_lib.freeinfo},
        {"fi_dupinfo", (void **)&ofi_lib.dupinfo},   {"fi_fabric", (void **)&ofi_lib.fabric},
        {"fi_strerror", (void **)&ofi_lib.strerror},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        void *f = dlsym(h, want[i].name);
        if (!f) {
            snprintf(why, len, "%s has no %s", LIBFABRIC, want[i].name);
            memset(&ofi_lib, 0, sizeof ofi_lib);
            return FERRY_ERR_TRANSPORT;
        }
        *want[i].fn = f;
    }
    return FERRY_OK;
}

const char *ofi_strerror(int errnum)
{
    return ofi_lib.strerror ? ofi_lib.strerror(errnum) : strerror(errnum);
}
