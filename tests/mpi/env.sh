#!/bin/sh
# The environment: init state, thread level, time, names, versions, Alloc_mem,
# handle conversions, MPI_COMM_SELF attributes at MPI_Finalize.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
run_mpi env 1 3
exit 0
