#!/bin/sh
# An idle rank blocked in a receive sleeps (under 5% of a core) and a
# receive timeout is honoured.
. "$top_srcdir/tests/integration/lib.sh"
shm_snapshot
run_job 30 -n 2 "$PROGS/idle"
expect_rc 0
expect_out "idle: blocked"
expect_out "300 ms timeout returned timed out"
expect_out "timeout -5 returned invalid argument"
# Also when the ranks outnumber the cores.
run_job 60 -n 5 "$PROGS/idle"
expect_rc 0
expect_no_leftovers "$PROGS/idle"
expect_shm_unchanged
cat "$OUT"
