#!/bin/sh
# Errors: every bad argument returns its class under MPI_ERRORS_RETURN;
# under the default MPI_ERRORS_ARE_FATAL a bad rank ends the whole job
# with a message naming the function and the argument.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
run_mpi errors 2 3

run_job 60 -n 4 "$MPI_PROGS/fatal"
[ "$RC" -ne 0 ] || fail "a fatal error let the job succeed"
expect_err "MPI_Send: invalid rank 7 (communicator size 4)"
expect_err "rank 1 called abort"
if grep -q "was not stopped" "$OUT"; then fail "a rank went on after the fatal error"; fi
expect_no_leftovers "$MPI_PROGS/fatal"
exit 0
