#!/bin/sh
# Communicators and groups: dup, idup, split, split_type, create, compare,
# names, attributes; messages never cross communicators.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
run_mpi comm 1 3 4 6 8
exit 0
