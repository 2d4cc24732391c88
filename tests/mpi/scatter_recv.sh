#!/bin/sh
# Receives into derived datatypes landing in the receiver's own regions
# (FERRY_IOV_RECV_MIN: regions of at least that many bytes on average, 256
# by default), or through a packed copy; from senders that send contiguous
# bytes, packed ones, or regions left where they lie (FERRY_IOV_MIN=64); and
# through the shared buffers when the receiver cannot read the sender.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
run_mpi scatter_recv 2
MPIRUN_ARGS="-x FERRY_IOV_MIN=64" run_mpi scatter_recv 2 3
MPIRUN_ARGS="-x FERRY_IOV_RECV_MIN=1000000000" run_mpi scatter_recv 2
run_job 120 -x FERRY_IOV_MIN=64 -n 2 "$MPI_PROGS/scatter_recv" --pipe-receiver
expect_rc 0
grep -qx "scatter_recv: PASS" "$OUT" || fail "scatter_recv with a pipe receiver did not report PASS"
exit 0
