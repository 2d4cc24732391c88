#!/bin/sh
# An idle rank blocked in a receive sleeps (under 5% of a core) and a
# receive timeout is honoured. A job on one node never loads libfabric
# (its providers' start-up costs a process tenths of a second).
. "$top_srcdir/tests/integration/lib.sh"
shm_snapshot
run_job 30 -n 2 "$PROGS/idle"
expect_rc 0
expect_out "idle: blocked"
expect_out "300 ms timeout returned timed out"
expect_out "timeout -5 returned invalid argument"
expect_out "idle: libfabric loaded: no"
# Also when the ranks outnumber the cores.
run_job 60 -n 5 "$PROGS/idle"
expect_rc 0
expect_no_leftovers "$PROGS/idle"
expect_shm_unchanged
cat "$OUT"
