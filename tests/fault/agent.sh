#!/bin/sh
# kill -9 a node agent (ferryd) of a job over network-namespace hosts:
# the agent in the middle of a launch chain (fan-out 1: ferryrun on host 1
# starts host 2's agent, which starts host 3's). ferryrun names the lost
# host and exits 1 within seconds; the ranks of the killed agent and the
# agent below it (cut off from the job) and its ranks all end; nothing is
# left on any host, nothing in /dev/shm. Needs root and ip; skips
# otherwise. The namespaces go away whatever happens.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/multinode/lib.sh"

nethosts_test ffault 3
EXIT_CODE="$PROGS/exit_code"

# agent_on HOST: the pid of our ferryd running in host HOST's namespace.
agent_on() {
    local i pid
    for i in $(seq 100); do
        for pid in $(ip netns pids "$PFX$1"); do
            tagged_procs "$FERRYD" | grep -qx "$pid" && { echo "$pid"; return 0; }
        done
        sleep 0.1
    done
    return 1
}

shm_snapshot
ip netns exec "${PFX}1" "$FERRYRUN" --host "$NET.1,$NET.2:2,$NET.3:2" --launch-fanout 1 "$L" \
    "$EXIT_CODE" sleep >"$OUT" 2>"$ERR" &
pid=$!
wait_ready 5 "$pid" 30
agent=$(agent_on 2) || { kill -KILL "$pid"; fail "no agent on host 2"; }
agent_on 3 >/dev/null || { kill -KILL "$pid"; fail "no agent on host 3"; }
mark
kill -KILL "$agent"
RC=0
wait "$pid" || RC=$?
[ "$(elapsed_ms)" -lt 10000 ] || fail "losing an agent took $(elapsed_ms) ms to end the job"
expect_rc 1
expect_err "^ferryrun: lost the agent on host $NET.2 (4 ranks not ended): "
! grep -q "^ferryd@[^:]*: ferryd@" "$ERR" || fail "an agent's host named twice on a line"
# Host 3's agent and ranks end on their own once cut off from the job.
for i in $(seq 50); do
    [ -n "$(tagged_procs "$(prog_re "$EXIT_CODE")")$(tagged_procs "$FERRYD")" ] || break
    sleep 0.2
done
expect_no_leftovers "$(prog_re "$EXIT_CODE")"
expect_no_leftovers "$FERRYD"
expect_shm_unchanged
exit 0
