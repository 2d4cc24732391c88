#!/bin/sh
# Blocking point-to-point: every send mode and size class, wildcards,
# per-sender order, MPI_PROC_NULL, Sendrecv(_replace), synchronous sends.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
run_mpi pt2pt 2 3 4 8
# Large messages through the pipelined copy instead of process_vm_readv.
MPIRUN_ARGS="-x FERRY_SHM_CMA=0" run_mpi pt2pt 3
exit 0
