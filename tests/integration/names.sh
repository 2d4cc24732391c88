#!/bin/sh
# The name service lives in the launcher: lookups wait for registration,
# names are unique, lookups time out, only the owner unregisters; with
# threads, a waiting lookup holds up no other thread.
. "$top_srcdir/tests/integration/lib.sh"
for n in 2 5; do
    run_job 60 -n "$n" "$PROGS/names"
    expect_rc 0
    [ "$(grep -c '^names: rank .* ok$' "$OUT")" -eq "$n" ] || fail "-n $n: not every rank ok"
done
"$PROGS/names" >"$OUT" 2>"$ERR" || fail "singleton run failed"
expect_out "^names: rank 0 ok$"
# Threads: a lookup waiting for a name does not stop the rank's other
# threads (one of which registers it), on 3 ranks and alone.
run_job 60 -n 3 "$PROGS/names_mt"
expect_rc 0
[ "$(grep -c '^names_mt: rank .* ok$' "$OUT")" -eq 3 ] || fail "names_mt: not every rank ok"
"$PROGS/names_mt" >"$OUT" 2>"$ERR" || fail "names_mt alone failed: $(cat "$ERR")"
expect_out "^names_mt: rank 0 ok$"
expect_no_leftovers "$PROGS/names"
expect_no_leftovers "$PROGS/names_mt"
