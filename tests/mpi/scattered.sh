#!/bin/sh
# Large derived-datatype messages on a node pulled from where their regions
# lie (FERRY_IOV_MIN: regions of at least that many bytes on average; 16 KiB
# by default) or packed, and gathered by the sender into the shared buffers
# when the receiver cannot read its memory.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
# Regions of 512 bytes and more pulled where they lie, then all packed.
MPIRUN_ARGS="-x FERRY_IOV_MIN=64" run_mpi scattered 2 3
MPIRUN_ARGS="-x FERRY_IOV_MIN=1000000000" run_mpi scattered 2
run_job 120 -x FERRY_IOV_MIN=64 -n 2 "$MPI_PROGS/scattered" --pipe-receiver
expect_rc 0
grep -qx "scattered: PASS" "$OUT" || fail "scattered with a pipe receiver did not report PASS"
exit 0
