#!/bin/sh
# The name service lives in the launcher: lookups wait for registration,
# names are unique, lookups time out, only the owner unregisters.
. "$top_srcdir/tests/integration/lib.sh"
for n in 2 5; do
    run_job 60 -n "$n" "$PROGS/names"
    expect_rc 0
    [ "$(grep -c '^names: rank .* ok$' "$OUT")" -eq "$n" ] || fail "-n $n: not every rank ok"
done
"$PROGS/names" >"$OUT" 2>"$ERR" || fail "singleton run failed"
expect_out "^names: rank 0 ok$"
expect_no_leftovers "$PROGS/names"
