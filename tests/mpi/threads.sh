#!/bin/sh
# MPI_THREAD_MULTIPLE: four threads per rank sending, receiving, probing,
# waiting and testing at once, on communicators of their own and together
# on MPI_COMM_WORLD by tag, and running collectives each on its own
# communicator; every payload, result and the per-source order checked.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
run_mpi threads 2 4
exit 0
