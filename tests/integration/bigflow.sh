#!/bin/sh
# While rank 1 receives a 1 GiB message from rank 0, small messages from
# rank 2 still get through to it and are answered: the large copy moves in
# chunks between which rank 1 keeps polling. Both copy paths: CMA (with the
# sender helping) and the pipelined fallback.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

SIZE=1073741824
# At least this many answered round trips while the copy was under way.
MIN_TRIPS=3

check_trips() {
    local n
    n=$(sed -n 's/^bigflow: \([0-9]*\) round trips during the transfer of '"$SIZE"' bytes$/\1/p' "$OUT")
    [ -n "$n" ] || fail "no round-trip count for $1"
    [ "$n" -ge "$MIN_TRIPS" ] || fail "only $n small round trips during the large transfer ($1)"
    echo "$1: $n round trips during the transfer"
}

for cma in 1 0; do
    FERRY_SHM_CMA=$cma
    export FERRY_SHM_CMA
    shm_snapshot
    run_job 300 -n 3 "$PROGS/bigflow" "$SIZE"
    expect_rc 0
    check_trips "FERRY_SHM_CMA=$cma"
    expect_no_leftovers "$PROGS/bigflow"
    expect_shm_unchanged
done
exit 0
