#!/bin/sh
# Four threads per rank in the native API at once: sends, receives, waits
# and tests on ports of their own, ports and heap blocks made and freed,
# every byte and the per-sender order checked; then a thread waiting in a
# receive wakes at once for a message another thread of its rank sends.
# With 4 ranks on this machine's cores, 32 threads share 2 cores: fewer
# rounds.
. "$top_srcdir/tests/integration/lib.sh"
for t in 2:6 4:2; do
    n=${t%:*}
    run_job 120 -n "$n" "$PROGS/threads" "${t#*:}"
    expect_rc 0
    [ "$(grep -c "^threads: rank .* ok$" "$OUT")" -eq "$n" ] || fail "threads on $n ranks: not every rank ok"
done
expect_no_leftovers "$PROGS/threads"
