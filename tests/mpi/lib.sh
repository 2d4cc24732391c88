# Helpers for the MPI tests: the integration tests' helpers, with jobs
# started through the build tree's mpirun.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
FERRYRUN="$top_builddir/mpirun"
MPI_PROGS="$top_builddir/tests/mpi/progs"

# run_mpi NAME N...: run progs/NAME on each number of ranks (with the
# mpirun options in $MPIRUN_ARGS); it must exit 0 and rank 0 must report
# "NAME: PASS".
run_mpi() {
    local name=$1 n
    shift
    for n in "$@"; do
        # shellcheck disable=SC2086 # a list of options
        run_job 120 ${MPIRUN_ARGS:-} -n "$n" "$MPI_PROGS/$name"
        expect_rc 0
        grep -qx "$name: PASS" "$OUT" || fail "$name on $n ranks did not report PASS"
        expect_no_leftovers "$MPI_PROGS/$name"
    done
}
