#!/bin/sh
# Every rank sends every size class to every rank and itself; each rank
# checks size, source, sequence number and every byte, and reports what it
# verified. Runs 2, 3, 4 and 8 ranks (8 oversubscribes small machines), then
# one 2 GiB + 1 byte message between 2 ranks.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

# Must match SIZES in progs/exchange.c; 3 phases each deliver every size from
# every rank.
SIZES="0 1 7 8 63 64 65 4095 4096 65539 1048581 16777216"
NSIZES=0
SUM=0
for s in $SIZES; do NSIZES=$((NSIZES + 1)); SUM=$((SUM + s)); done

# expect_verified N: every rank of an N-rank exchange reported all its data.
expect_verified() {
    local n="$1" r
    r=0
    while [ "$r" -lt "$n" ]; do
        grep -qx "exchange: rank $r of $n: $((3 * n * NSIZES)) messages, $((3 * n * SUM)) bytes verified" "$OUT" ||
            fail "rank $r of $n did not verify $((3 * n * NSIZES)) messages and $((3 * n * SUM)) bytes"
        r=$((r + 1))
    done
}

for n in 2 3 4 8; do
    shm_snapshot
    run_job 60 -n "$n" "$PROGS/exchange"
    expect_rc 0
    expect_verified "$n"
    expect_no_leftovers "$PROGS/exchange"
    expect_shm_unchanged
done

shm_snapshot
run_job 60 -n 2 "$PROGS/exchange" --big
expect_rc 0
expect_verified 2
if grep -q "^exchange: SKIP" "$OUT"; then
    grep "^exchange: SKIP" "$OUT"
else
    expect_out "^exchange: big message of 2147483649 bytes received in .* and verified$"
fi
expect_no_leftovers "$PROGS/exchange"
expect_shm_unchanged
exit 0
