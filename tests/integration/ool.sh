#!/bin/sh
# Out-of-line memory: regions move by offset between ranks of a node, an
# ordinary buffer is copied once, dropped regions return to the heap.
. "$top_srcdir/tests/integration/lib.sh"
shm_snapshot
FERRY_SHM_HEAP_MB=1200 run_job 120 -n 2 "$PROGS/ool"
expect_rc 0
[ "$(grep -c '^ool: rank .* ok$' "$OUT")" -eq 2 ] || fail "not every rank ok"
grep '^ool: 4 KiB' "$OUT"
# Regions as they travel to another node: pulled by the receiver (single
# copy, and through the pipelined fallback).
run_job 60 -x FERRY_OOL_PULL=1 -n 2 "$PROGS/ool"
expect_rc 0
[ "$(grep -c '^ool: rank .* ok$' "$OUT")" -eq 2 ] || fail "pull: not every rank ok"
run_job 60 -x FERRY_OOL_PULL=1 -x FERRY_SHM_CMA=0 -n 2 "$PROGS/ool"
expect_rc 0
[ "$(grep -c '^ool: rank .* ok$' "$OUT")" -eq 2 ] || fail "pull without CMA: not every rank ok"
# A job of one uses a private heap.
"$PROGS/ool" >"$OUT" 2>"$ERR" || fail "singleton run failed"
expect_out "^ool: rank 0 ok$"
expect_no_leftovers "$PROGS/ool"
expect_shm_unchanged
