/* The MPI layer's objects and the helpers every MPI source file shares.
 *
 * Each MPI object lives in a handle table of its kind; a handle is
 * kind << 26 | index, as in include/mpi.h. Objects are reference counted:
 * a handle holds one reference, and so does every communicator or pending
 * request that uses the object, so MPI's "free marks for deallocation"
 * rules hold.
 */
#ifndef FERRY_MPI_IMPL_H
#define FERRY_MPI_IMPL_H

#include <stdint.h>

/* Every MPI_ and PMPI_ symbol is exported from the hidden-by-default
 * library: their declarations carry default visibility. */
#pragma GCC visibility push(default)
#include "include/mpi.h"
#pragma GCC visibility pop

#include "include/ferry.h"
#include "runtime/core/api.h"
#include "runtime/port/port.h"
#include "runtime/progress/lock.h"
#include "runtime/progress/request.h"

#include "runtime/mpi/handle.h"

/* The process's MPI state. */
struct mpi_state {
    int initialized, finalized;
    int own_ferry; /* MPI_Init started Ferry, so MPI_Finalize ends it */
    int thread_level;
    int wrank, wsize;
    ferry_port_t port; /* this rank's MPI receive port */
    struct htab comms, groups, dtypes, reqs, errhs, msgs, keyvals;
    int bg_active; /* background work waits in mpi_bg_poll */
};
extern struct mpi_state mpi_s;

/* The MPI receive port of a world rank. */
static inline ferry_port_t mpi_port_of(int wrank)
{
    return (ferry_port_t){(uint32_t)wrank, PORT_MPI, PORT_MPI_GEN};
}

/* The parts, in dependency order; source files include this header only. */
#include "runtime/mpi/group.h"
#include "runtime/mpi/errors.h"
#include "runtime/mpi/comm.h"
#include "runtime/mpi/bg.h"
#include "runtime/mpi/datatype.h"
#include "runtime/mpi/mreq.h"
#include "runtime/mpi/check.h"

#endif
