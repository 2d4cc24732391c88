#!/bin/sh
# Classic MPI programs (hello, ring, pingpong, a halo exchange with
# MPI_Type_vector), unchanged, built with the build tree's mpicc and run
# with mpirun -n 4 (and mpiexec).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work" "$OUT" "$ERR"' EXIT

for p in hello ring pingpong halo; do
    "$top_builddir/mpicc" -O2 -o "$work/$p" "$top_srcdir/tests/mpi/classic/$p.c" >"$ERR" 2>&1 ||
        fail "mpicc could not build $p.c"
done

run_job 60 -n 4 "$work/hello"
expect_rc 0
[ "$(grep -c '^Hello world from processor .*, rank [0-3] out of 4 processors$' "$OUT")" -eq 4 ] ||
    fail "hello: not one line per rank"

run_job 60 -n 4 "$work/ring"
expect_rc 0
expect_out "^ring: token 40 after 10 laps of 4 ranks$"

run_job 120 -n 4 "$work/pingpong"
expect_rc 0
expect_out "^pingpong: done$"

run_job 60 -n 4 "$work/halo"
expect_rc 0
expect_out "^halo: 4 ranks, 50 steps, 0 wrong cells$"

FERRYRUN="$top_builddir/mpiexec"
run_job 60 -n 3 "$work/halo"
expect_rc 0
expect_out "^halo: 3 ranks, 50 steps, 0 wrong cells$"
exit 0
