/* The predefined operations' kernels, by operation and predefined type. */
#ifndef FERRY_MPI_OP_KERNELS_H
#define FERRY_MPI_OP_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "include/mpi.h"

/* The predefined operations, by the index of their handle. */
enum opk {
    OPK_MAX = 1,
    OPK_MIN,
    OPK_SUM,
    OPK_PROD,
    OPK_LAND,
    OPK_BAND,
    OPK_LOR,
    OPK_BOR,
    OPK_LXOR,
    OPK_BXOR,
    OPK_MINLOC,
    OPK_MAXLOC,
    OPK_REPLACE,
    OPK_NO_OP,
    OPK_N
};

/* io[i] = in[i] op io[i] for n packed elements. */
typedef void (*kernel_fn)(const void *in, void *io, size_t n);

struct kset {
    kernel_fn f[OPK_N];
};

/* The kernel of operation opk on the predefined type of handle index
 * type_index, or NULL when the standard does not define it. */
kernel_fn op_kernel(int opk, unsigned type_index);

#endif
