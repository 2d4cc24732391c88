#!/bin/sh
# Receives into too-small buffers fail with TRUNCATE and the real size and
# leave the message queued; receive timeouts of 0 and 200 ms on empty ports.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

shm_snapshot
run_job 60 -n 2 "$PROGS/truncate"
expect_rc 0
expect_out "^truncate: 32 messages truncated twice each, 8 truncated on arrival, all then received whole$"
expect_out "^truncate: empty well-known port: timeout 0 ms returned"
expect_out "^truncate: empty own port: timeout 200 ms returned"
expect_out "^truncate: message after the timeouts arrived whole$"
expect_no_leftovers "$PROGS/truncate"
expect_shm_unchanged
exit 0
