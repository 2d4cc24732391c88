#!/bin/sh
# Jobs over hosts made of network namespaces: four namespaces joined by veth
# pairs to a bridge in a fifth, with addresses 10.77.0.1-4 that exist only
# inside them. ferryrun runs in the first and starts agents in the others
# (netns-exec.sh). Checks every size class and the fan-in flood across
# hosts, a 4-host launch tree, a rank killed on one host and a link cut
# mid-job. Needs root and ip; skips otherwise. The namespaces go away
# whatever happens.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/multinode/lib.sh"

nethosts_test ferry 4

# Run ferryrun on host 1 with agents on the others.
in_host1() { ip netns exec "${PFX}1" "$@"; }
FERRYRUN_HOST1="ip netns exec ${PFX}1 $FERRYRUN"
run_job_ns() {
    local limit=$1
    shift
    RC=0
    timeout -k 5 "$limit" ip netns exec "${PFX}1" "$FERRYRUN" "$@" >"$OUT" 2>"$ERR" || RC=$?
    [ "$RC" -ne 124 ] || fail "ferryrun $* did not end within ${limit}s"
}

# Every size class between 3 hosts, 2 ranks each: shared memory within a
# host, libfabric (tcp;ofi_rxm over the veth links) between them.
run_job_ns 240 --verbose --host "$NET.1:2,$NET.2:2,$NET.3:2" "$L" "$PROGS/exchange"
expect_rc 0
expect_verified 6
expect_err "ferry\[2\]: ofi on host $NET.2: provider .*, domain eth0,"
expect_no_leftovers "$(prog_re "$PROGS/exchange")"
expect_no_leftovers "$FERRYD"

# The fan-in flood from 4 senders on 2 other hosts.
run_job_ns 240 --host "$NET.1,$NET.2:2,$NET.3:2" "$L" "$PROGS/fanin" 5000
expect_rc 0
expect_out "^fanin: total 20000 messages from 4 senders, [0-9]* bytes, 0 errors$"

# Four hosts launched as a chain (each agent starts the next), one rank
# each, every size class.
run_job_ns 240 --host "$NET.1,$NET.2,$NET.3,$NET.4" --launch-fanout 1 "$L" "$PROGS/exchange"
expect_rc 0
expect_verified 4
expect_no_leftovers "$FERRYD"

# A rank killed on one host: the job ends, naming the rank and the host,
# and nothing is left on any host.
EXIT_CODE="$PROGS/exit_code"
$FERRYRUN_HOST1 --host "$NET.1,$NET.2,$NET.3:2" "$L" "$EXIT_CODE" sleep >"$OUT" 2>"$ERR" &
pid=$!
victim=$(find_rank "$EXIT_CODE" "FERRY_HOST=$NET.3") || { kill -KILL "$pid"; fail "no rank on host 3"; }
wait_ready 4 "$pid"
mark
kill -KILL "$victim"
RC=0
wait "$pid" || RC=$?
expect_rc 137
expect_err "^ferryrun: rank [23] (pid $victim) on host $NET.3 killed by signal SIGKILL"
[ "$(elapsed_ms)" -lt 10000 ] || fail "the job took $(elapsed_ms) ms to end"
expect_no_leftovers "$(prog_re "$EXIT_CODE")"
expect_no_leftovers "$FERRYD"

# A link cut while ranks flood each other over it: a clear error within
# 10 s, no hang; the cut-off host ends its ranks on its own.
$FERRYRUN_HOST1 --host "$NET.1,$NET.2:2,$NET.3:2" "$L" "$PROGS/fanin" 100000000 >"$OUT" 2>"$ERR" &
pid=$!
find_rank "$PROGS/fanin" "FERRY_HOST=$NET.3" >/dev/null || { kill -KILL "$pid"; fail "no rank on host 3"; }
sleep 1
kill -0 "$pid" 2>/dev/null || fail "the flood ended before the link was cut"
mark
ip -n "${PFX}sw" link set p3 down
RC=0
wait "$pid" || RC=$?
took=$(elapsed_ms)
[ "$RC" -ne 0 ] || fail "ferryrun exited 0 after a link was cut"
[ "$took" -lt 10000 ] || fail "ferryrun took $took ms to end after the link was cut"
expect_err "^ferryrun: lost the agent on host $NET.3 (2 ranks not ended): "
for i in $(seq 50); do
    [ -n "$(tagged_procs "$(prog_re "$PROGS/fanin")")$(tagged_procs "$FERRYD")" ] || break
    sleep 0.2
done
expect_no_leftovers "$(prog_re "$PROGS/fanin")"
expect_no_leftovers "$FERRYD"
echo "link cut: ferryrun ended after $took ms with code $RC"
ip -n "${PFX}sw" link set p3 up
exit 0
