#!/bin/sh
# Mach port semantics through real jobs: limits and send modes, limit 0,
# port sets, port names in messages, RPC, dead ports.
. "$top_srcdir/tests/integration/lib.sh"
shm_snapshot
for t in limits:2 held:3 sync:2 sets:4 names:3 rpc:3 dead:3; do
    name=${t%:*}
    n=${t#*:}
    run_job 60 -n "$n" "$PROGS/ports" "$name"
    expect_rc 0
    [ "$(grep -c "^ports $name: rank .* ok$" "$OUT")" -eq "$n" ] || fail "ports $name: not every rank ok"
done
# A rank that exits under --no-abort-on-exit: the others see its ports
# dead, finish, and ferryrun still reports the failure and its code.
run_job 60 --no-abort-on-exit -n 3 "$PROGS/ports" exit
expect_rc 3
expect_err "rank 2 (pid [0-9]*) exited with code 3"
[ "$(grep -c "^ports exit: rank .* ok$" "$OUT")" -eq 2 ] || fail "ports exit: ranks 0 and 1 not ok"
# The same when the ranks outnumber the cores and sleep while waiting.
run_job 120 -n 6 "$PROGS/ports" sets
expect_rc 0
expect_no_leftovers "$PROGS/ports"
expect_shm_unchanged
