#!/bin/sh
# Rings exist only between ranks that talk: 64 ranks on this node in a ring
# exchange make at most two rings into each rank, not 63; then all send to
# rank 0 at once, creating their rings to it concurrently.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

N=64
shm_snapshot
run_job 180 -n "$N" "$PROGS/lazy_rings"
expect_rc 0
expect_out "^lazy_rings: $N ranks, [0-9]* rings after the ring exchange, [0-9]* after the fan-in$"
expect_no_leftovers "$PROGS/lazy_rings"
expect_shm_unchanged
cat "$OUT"
exit 0
