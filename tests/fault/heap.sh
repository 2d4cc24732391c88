#!/bin/sh
# The node's shared heap runs out: ferry_mem_alloc says FERRY_ERR_NOMEM,
# a message that needs heap room fails cleanly, everything else goes on,
# and freeing makes room again. The heap is made small (8 MiB) so filling
# it is quick; its pages are really there (the ranks write every block).
. "$top_srcdir/tests/integration/lib.sh"
FAULT="$top_builddir/tests/fault/progs/fault"
shm_snapshot
FERRY_SHM_HEAP_MB=8 run_job 60 -n 2 "$FAULT" heap
expect_rc 0
expect_out "^fault: heap full after [0-9]* MiB$"
n=$(sed -n 's/^fault: heap full after \([0-9]*\) MiB$/\1/p' "$OUT")
[ "$n" -ge 4 ] && [ "$n" -le 8 ] || fail "the 8 MiB heap held $n blocks of 1 MiB"
[ "$(grep -c '^fault: rank [01] ok$' "$OUT")" -eq 2 ] || fail "not every rank ok"
expect_no_leftovers "$FAULT"
expect_shm_unchanged
