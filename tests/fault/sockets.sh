#!/bin/sh
# Strangers at the launchers' ports: while ferryrun waits for its node
# agent, and while an agent (ferryd) waits for the agent it starts, connect
# 1 000 times and hang up, introduce with a wrong secret, send garbage and
# hold connections open without a word. The job runs on unaffected (the
# real agent gets in even while strangers fill the waiting room), every
# attempt is logged exactly once, and nothing is left behind. Needs no
# root: the "hosts" are agents on this machine (see tests/multinode).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/multinode/lib.sh"
FDIR="$top_srcdir/tests/fault"
command -v python3 >/dev/null || { echo "SKIP $TEST_NAME: needs python3"; exit 77; }
GATE=$(mktemp -u)
trap 'rm -f "$OUT" "$ERR" "$GATE".* "$OUT.knock"' EXIT

# held_port HOST: the port the agent for HOST is told to call back on, read
# from its (held) launcher command line.
held_port() {
    local i p
    for i in $(seq 200); do
        p=$(tagged_procs "hold-exec.sh $GATE $1 " | head -n 1)
        [ -z "$p" ] || break
        sleep 0.05
    done
    [ -n "$p" ] || return 1
    tr '\0' ' ' <"/proc/$p/cmdline" | sed -n 's/.* --port \([0-9]*\) .*/\1/p'
}

# knock_all PORT: every kind of stranger; holds 20 silent connections for
# 2 s, across the moment the gate opens and the agent calls. Prints the
# number of attempts.
knock_all() {
    local port=$1 n=0 i
    for how in open-close:1000 secret:3 garbage:3; do
        python3 "$FDIR/knock.py" "$port" "${how%:*}" "${how#*:}" >/dev/null ||
            fail "knocking ($how) on port $port failed"
        n=$((n + ${how#*:}))
    done
    : >"$OUT.knock"
    sleep 2 | python3 "$FDIR/knock.py" "$port" hold 20 >"$OUT.knock" &
    for i in $(seq 100); do
        [ -s "$OUT.knock" ] && break
        sleep 0.05
    done
    [ -s "$OUT.knock" ] || fail "cannot hold connections to port $port"
    echo $((n + 20))
}

# expect_logged_once WHO N: exactly N refusals by WHO on stderr, one per
# attempt.
expect_logged_once() {
    local who=$1 n=$2 got
    # (Not told apart by the stranger's port: the kernel may reuse a port
    # on loopback while the last connection from it is in TIME_WAIT.)
    got=$(grep -c "^$who: refused a launcher connection from 127.0.0.1:[0-9]*: " "$ERR")
    [ "$got" -eq "$n" ] || fail "$got refusals by $who logged for $n attempts"
    grep -q "^$who: refused .*: wrong secret$" "$ERR" || fail "no wrong secret logged by $who"
    grep -q "^$who: refused .*: a malformed message" "$ERR" || fail "no malformed message logged by $who"
}

# 1. ferryrun's port, while it waits for the agent on nodeB.
shm_snapshot
"$FERRYRUN" --host localhost,nodeB --launcher-exec "$FDIR/hold-exec.sh $GATE" \
    sh -c 'sleep 3; echo "rank $PMI_RANK done"' >"$OUT" 2>"$ERR" &
pid=$!
port=$(held_port nodeB) || { kill -KILL "$pid"; fail "the agent's launcher command did not start"; }
n=$(knock_all "$port") || { kill -KILL "$pid"; exit 1; }
touch "$GATE.nodeB"
RC=0
wait "$pid" || RC=$?
wait
rm -f "$GATE".*
expect_rc 0
[ "$(grep -c '^rank [01] done$' "$OUT")" -eq 2 ] || fail "the job did not run to its end"
expect_logged_once ferryrun "$n"
expect_no_leftovers "$FERRYD"
expect_shm_unchanged

# 2. ferryd's port: with fan-out 1 the agent on nodeB starts the one on
# nodeC, and waits for it to call back.
shm_snapshot
"$FERRYRUN" --host localhost,nodeB,nodeC --launch-fanout 1 \
    --launcher-exec "$FDIR/hold-exec.sh $GATE" \
    sh -c 'sleep 3; echo "rank $PMI_RANK done"' >"$OUT" 2>"$ERR" &
pid=$!
# nodeB's agent goes at once; nodeC's waits while strangers knock.
touch "$GATE.nodeB"
port=$(held_port nodeC) || { kill -KILL "$pid"; fail "nodeC's launcher command did not start"; }
n=$(knock_all "$port") || { kill -KILL "$pid"; exit 1; }
touch "$GATE.nodeC"
RC=0
wait "$pid" || RC=$?
wait
expect_rc 0
[ "$(grep -c '^rank [012] done$' "$OUT")" -eq 3 ] || fail "the job did not run to its end"
expect_logged_once ferryd@nodeB "$n"
expect_no_leftovers "$FERRYD"
expect_shm_unchanged
exit 0
