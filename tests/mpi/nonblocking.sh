#!/bin/sh
# Nonblocking point-to-point and every wait/test form, Request_free, cancelled
# receives, persistent requests, Ibsend.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
run_mpi nonblocking 2 3 4
exit 0
