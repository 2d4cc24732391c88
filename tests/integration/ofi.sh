#!/bin/sh
# The libfabric transport between ranks of one node (FERRY_TRANSPORTS=ofi
# forces it): every size class with content checks, the fan-in flood, an
# idle rank sleeping on the fabric, truncation, threads, and clear errors for a
# provider or transport list that cannot work.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

FERRY_TRANSPORTS=ofi
export FERRY_TRANSPORTS

SIZES="0 1 7 8 63 64 65 4095 4096 65539 1048581 16777216"
NSIZES=0
SUM=0
for s in $SIZES; do NSIZES=$((NSIZES + 1)); SUM=$((SUM + s)); done

for n in 2 4; do
    run_job 120 --verbose -n "$n" "$PROGS/exchange"
    expect_rc 0
    r=0
    while [ "$r" -lt "$n" ]; do
        expect_out "^exchange: rank $r of $n: $((3 * n * NSIZES)) messages, $((3 * n * SUM)) bytes verified$"
        r=$((r + 1))
    done
    expect_err "ferry\[0\]: ofi on host .*: provider "
    expect_no_leftovers "$PROGS/exchange"
done

COUNT=20000
run_job 120 -n 5 "$PROGS/fanin" "$COUNT"
expect_rc 0
expect_out "^fanin: total $((4 * COUNT)) messages from 4 senders, [0-9]* bytes, 0 errors$"

run_job 30 -n 2 "$PROGS/idle"
expect_rc 0
expect_out "idle: blocked"
expect_out "idle: libfabric loaded: yes"
cat "$OUT"

run_job 30 -n 2 "$PROGS/truncate"
expect_rc 0

# Threads through the fabric: a thread asleep in the fabric's wait (100 ms
# at a time) is woken when another thread of its rank needs it.
run_job 120 -n 2 "$PROGS/threads" 1
expect_rc 0
[ "$(grep -c "^threads: rank .* ok$" "$OUT")" -eq 2 ] || fail "threads over ofi: not every rank ok"

# A large message taken seconds late: the sender pings its silent peer
# meanwhile, and the ping is the transport's own business.
run_job 30 -n 2 "$PROGS/ports" late
expect_rc 0
! grep -q "unknown kind" "$ERR" || fail "a ping reached the runtime: $(cat "$ERR")"

# Also through the fabric to itself, with self left out.
run_job 60 -n 1 "$PROGS/exchange"
expect_rc 0
expect_out "^exchange: rank 0 of 1: $((3 * NSIZES)) messages, $((3 * SUM)) bytes verified$"

# A provider nobody has: ferry_init fails on every rank, naming the reason.
FERRY_OFI_PROVIDER=no-such-provider run_job 30 -n 2 "$PROGS/exchange"
[ "$RC" -ne 0 ] || fail "a job with FERRY_OFI_PROVIDER=no-such-provider succeeded"
expect_err "no libfabric provider allowed by FERRY_OFI_PROVIDER=no-such-provider"
expect_no_leftovers "$PROGS/exchange"

FERRY_TRANSPORTS=shm,carrier-pigeon run_job 30 -n 2 "$PROGS/exchange"
[ "$RC" -ne 0 ] || fail "a job with an unknown transport succeeded"
expect_err "FERRY_TRANSPORTS=shm,carrier-pigeon: unknown transport 'carrier-pigeon'"
exit 0
