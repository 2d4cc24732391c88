#!/bin/sh
# Derived datatypes against hand-computed layouts, Pack/Unpack, non-contiguous
# messages, partial receives, pair types.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
run_mpi datatype 2 3
MPIRUN_ARGS="-x FERRY_SHM_CMA=0" run_mpi datatype 2
exit 0
