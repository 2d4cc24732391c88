#!/bin/sh
# 4 senders x 100000 messages of mixed sizes to rank 0's well-known port;
# rank 0 checks per-sender order (counter, seq), sizes and checksums, and
# that nothing is lost or duplicated.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

COUNT=100000
shm_snapshot
run_job 180 -n 5 "$PROGS/fanin" "$COUNT"
expect_rc 0
for r in 1 2 3 4; do
    expect_out "^fanin: rank $r: $COUNT messages, [0-9]* bytes$"
done
expect_out "^fanin: total $((4 * COUNT)) messages from 4 senders, [0-9]* bytes, 0 errors$"
expect_no_leftovers "$PROGS/fanin"
expect_shm_unchanged
exit 0
