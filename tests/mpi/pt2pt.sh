#!/bin/sh
# Blocking point-to-point: every send mode and size class, wildcards, per-sender order, MPI_PROC_NULL, Sendrecv(_replace), synchronous sends.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
run_mpi pt2pt 2 3 4
exit 0
