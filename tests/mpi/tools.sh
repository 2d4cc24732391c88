#!/bin/sh
# The wrappers: mpicc -show, compile-only without link flags, mpicxx with
# a C++ program using mpi.h; mpirun and mpiexec are ferryrun.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work" "$OUT" "$ERR"' EXIT

show=$("$top_builddir/mpicc" -show -O2 -o prog "prog file.c")
case $show in
*"-I"*"-O2 -o prog prog file.c"*"-lferry"*) ;;
*) fail "mpicc -show printed: $show" ;;
esac
# The include path is this tree's (however the path is spelt).
inc=$(echo "$show" | sed -n 's/.* -I\([^ ]*\) .*/\1/p')
[ "$inc/mpi.h" -ef "$top_srcdir/include/mpi.h" ] || fail "mpicc -show includes $inc, not this tree's"
case $("$top_builddir/mpicc" -show -c x.c) in
*-lferry*) fail "mpicc -c adds link flags" ;;
esac

# A compile-only step, then a link step, as make does.
printf '#include <mpi.h>\nint main(int c, char **v) { MPI_Init(&c, &v); return MPI_Finalize(); }\n' \
    >"$work/two step.c"
"$top_builddir/mpicc" -c -o "$work/two.o" "$work/two step.c" || fail "mpicc -c failed"
"$top_builddir/mpicc" -o "$work/two" "$work/two.o" || fail "mpicc could not link"
run_job 30 -n 2 "$work/two"
expect_rc 0

if command -v "${FERRY_MPICXX_CXX:-c++}" >/dev/null 2>&1; then
    cat >"$work/hello.cc" <<'CXX'
#include <mpi.h>
#include <iostream>
#include <vector>

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    std::vector<int> v(size, rank), w(size);
    MPI_Sendrecv(v.data(), size, MPI_INT, (rank + 1) % size, 0, w.data(), size, MPI_INT,
                 (rank + size - 1) % size, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (w[0] != (rank + size - 1) % size) MPI_Abort(MPI_COMM_WORLD, 1);
    std::cout << "c++ rank " << rank << " ok" << std::endl;
    return MPI_Finalize();
}
CXX
    "$top_builddir/mpicxx" -Wall -Wextra -Werror -o "$work/hello_cc" "$work/hello.cc" >"$ERR" 2>&1 ||
        fail "mpicxx could not build a C++ program"
    run_job 30 -n 3 "$work/hello_cc"
    expect_rc 0
    [ "$(grep -c '^c++ rank [0-2] ok$' "$OUT")" -eq 3 ] || fail "the C++ program did not run on 3 ranks"
else
    echo "tools: no C++ compiler, mpicxx not tried"
fi

# mpi.h from C99 with every warning.
"$top_builddir/mpicc" -std=c99 -Wall -Wextra -Wpedantic -Werror -c -o "$work/c99.o" \
    "$work/two step.c" >"$ERR" 2>&1 || fail "mpi.h does not compile as pedantic C99"

for l in mpirun mpiexec; do
    [ -x "$top_builddir/$l" ] || fail "no $l in the build tree"
    "$top_builddir/$l" --version >"$OUT" 2>&1 || fail "$l --version failed"
done
exit 0
