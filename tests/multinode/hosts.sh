#!/bin/sh
# Jobs over several hosts, needing none: --launcher-exec runs each node
# agent (ferryd) on this machine (local-exec.sh) as if it were another host,
# so ranks of different "hosts" talk through libfabric while ranks of one
# host share memory. Checks data (every size class, the fan-in flood),
# output, launch trees, failures on agents' hosts, a lost agent, refused
# connections, a peer vanishing under a sender, and bad host lists.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/multinode/lib.sh"

L="--launcher-exec $MNDIR/local-exec.sh"
EXIT_CODE="$PROGS/exit_code"

# Every size class between 3 hosts, 2 ranks each; ferryrun runs 2 itself.
run_job 240 --verbose --host localhost:2,nodeB:2,nodeC:2 $L "$PROGS/exchange"
expect_rc 0
expect_verified 6
expect_err "^ferryrun: rank 3: pid [0-9]* on host nodeB, "
expect_err "ferry\[2\]: ofi on host nodeB: provider "
expect_no_leftovers "$(prog_re "$PROGS/exchange")"
expect_no_leftovers "$FERRYD"

# A chain of agents (fan-out 1: each starts the next), ranks dealt
# round-robin, and ferryrun's own host not in the list.
run_job 120 --verbose --host nodeA,nodeB,nodeC,nodeD --ppn 2 -n 5 --map-by node --launch-fanout 1 \
    $L "$PROGS/exchange"
expect_rc 0
expect_verified 5
expect_err "^ferryrun: rank 4: pid [0-9]* on host nodeA, "
expect_err "^ferryrun: rank 3: pid [0-9]* on host nodeD, "
expect_no_leftovers "$FERRYD"

# The fan-in flood: per-sender order over the fabric and shared memory.
run_job 240 --host localhost:2,nodeB:2,nodeC:1 $L "$PROGS/fanin" 20000
expect_rc 0
expect_out "^fanin: total 80000 messages from 4 senders, [0-9]* bytes, 0 errors$"

# A rank blocked in a receive sleeps (under 5% of a core: the idle program
# checks) while it has both node peers and fabric peers, whichever way the
# message comes.
for hosts in localhost:2,nodeB localhost,nodeB:2; do
    run_job 60 --host "$hosts" $L "$PROGS/idle"
    expect_rc 0
    expect_out "^idle: blocked"
    grep "^idle: blocked" "$OUT"
done

# Output of remote ranks: every line once, whole, tagged with its rank.
run_job 60 --tag-output --host localhost,nodeB:2 $L "$PROGS/print_lines" 500 200
expect_rc 0
for r in 0 1 2; do
    for s in out err; do
        f=$OUT
        [ "$s" = out ] || f=$ERR
        n=$(grep -c "^\[1,$r\]<std$s>:r $r $s [0-9]* [a-z]\{200\}$" "$f")
        [ "$n" -eq 500 ] || fail "rank $r: $n whole std$s lines of 500"
    done
done
[ "$(grep -vc '^\[1,[0-2]\]<stdout>:r [0-2] \(out\|info\) ' "$OUT")" -eq 0 ] ||
    fail "stray or mixed text on stdout: $(grep -v '^\[1,[0-2]\]<stdout>:r [0-2] \(out\|info\) ' "$OUT" | head -n 1 | cut -c 1-80)"

# The name service and dead ports work across hosts: ferryrun serves names
# for every node, and tells every node of a rank that exits under
# --no-abort-on-exit.
run_job 60 --host nodeA,nodeB,nodeC:2,nodeD --launch-fanout 1 $L "$PROGS/names"
expect_rc 0
[ "$(grep -c '^names: rank .* ok$' "$OUT")" -eq 5 ] || fail "names: not every rank ok"
run_job 60 --host localhost,nodeB:2 $L "$PROGS/ports" dead
expect_rc 0
[ "$(grep -c '^ports dead: rank .* ok$' "$OUT")" -eq 3 ] || fail "ports dead: not every rank ok"
run_job 60 --no-abort-on-exit --host localhost,nodeB,nodeC $L "$PROGS/ports" exit
expect_rc 3
expect_err "^ferryrun: rank 2 (pid [0-9]*) on host nodeC exited with code 3$"
[ "$(grep -c "^ports exit: rank .* ok$" "$OUT")" -eq 2 ] || fail "ports exit: ranks 0 and 1 not ok"

# A rank on an agent's host fails: named with its host, everything ends.
for case in "139:killed by signal SIGSEGV:sleep sleep segv sleep" \
    "3:exited with code 3:ok ok code:3 ok" "7:called abort (exit code 7):sleep sleep abort:7 sleep"; do
    rc=${case%%:*}
    rest=${case#*:}
    what=${rest%%:*}
    how=${rest#*:}
    mark
    run_job 30 --host localhost:2,nodeB:2 $L "$EXIT_CODE" $how
    expect_rc "$rc"
    expect_err "^ferryrun: rank 2 \((pid [0-9]*) \)\{0,1\}on host nodeB $what"
    [ "$(elapsed_ms)" -lt 10000 ] || fail "'$how' took $(elapsed_ms) ms to end"
    expect_no_leftovers "$(prog_re "$EXIT_CODE")"
    expect_no_leftovers "$FERRYD"
done

# --timeout ends ranks on every host.
ALLOW_TIMEOUT=1
run_job 30 --timeout 1 --host localhost,nodeB,nodeC $L "$EXIT_CODE" sleep
ALLOW_TIMEOUT=0
expect_rc 124
expect_no_leftovers "$(prog_re "$EXIT_CODE")"
expect_no_leftovers "$FERRYD"

# An agent killed: ferryrun names its host, its ranks die with it, the
# others are ended.
"$FERRYRUN" --host localhost,nodeB:2,nodeC $L "$EXIT_CODE" sleep >"$OUT" 2>"$ERR" &
pid=$!
agent=$(find_rank "$FERRYD" "FERRY_TEST_TAG=$FERRY_TEST_TAG") || fail "no agent started"
wait_ready 4 "$pid"
mark
kill -KILL "$agent"
RC=0
wait "$pid" || RC=$?
expect_rc 1
expect_err "^ferryrun: lost the agent on host node[BC] (.* not ended): "
[ "$(elapsed_ms)" -lt 10000 ] || fail "losing an agent took $(elapsed_ms) ms to end the job"
expect_no_leftovers "$(prog_re "$EXIT_CODE")"
expect_no_leftovers "$FERRYD"

# Connections without the job's secret are refused and logged and the job
# goes on; once every agent is in, the port is closed.
"$FERRYRUN" --host localhost,nodeB --launcher-exec "$MNDIR/slow-exec.sh" "$EXIT_CODE" ok \
    >"$OUT" 2>"$ERR" &
pid=$!
for i in $(seq 100); do
    slow=$(tagged_procs "slow-exec.sh nodeB " | head -n 1)
    [ -z "$slow" ] || break
    sleep 0.05
done
[ -n "$slow" ] || { kill -KILL "$pid"; fail "the agent's launcher command did not start"; }
port=$(tr '\0' ' ' <"/proc/$slow/cmdline" | sed -n 's/.* --port \([0-9]*\) .*/\1/p')
[ -n "$port" ] || { kill -KILL "$pid"; fail "no port on the agent's command line"; }
bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && printf '\\000\\000\\000\\116\\000\\001\\000\\000\\000\\001\\000\\000\\000\\001\\000\\000\\000\\100%064d' 0 >&3 && sleep 0.3" ||
    fail "cannot connect to ferryrun's port $port"
bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && echo 'GET / HTTP/1.0' >&3 && sleep 0.3"
RC=0
wait "$pid" || RC=$?
expect_rc 0
expect_err "^ferryrun: refused a launcher connection from 127.0.0.1:[0-9]*: wrong secret$"
expect_err "^ferryrun: refused a launcher connection from 127.0.0.1:[0-9]*: a malformed message"
expect_no_leftovers "$(prog_re "$EXIT_CODE")"
expect_no_leftovers "$FERRYD"
"$FERRYRUN" --host localhost,nodeB --launcher-exec "$MNDIR/slow-exec.sh" "$EXIT_CODE" sleep \
    >"$OUT" 2>"$ERR" &
pid=$!
for i in $(seq 100); do
    slow=$(tagged_procs "slow-exec.sh nodeB " | head -n 1)
    [ -z "$slow" ] || break
    sleep 0.05
done
port=$(tr '\0' ' ' <"/proc/$slow/cmdline" | sed -n 's/.* --port \([0-9]*\) .*/\1/p')
wait_ready 2 "$pid" 20
if bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
    kill -TERM "$pid"
    fail "ferryrun's port $port still open after every agent connected"
fi
kill -TERM "$pid"
wait "$pid" 2>/dev/null
expect_no_leftovers "$(prog_re "$EXIT_CODE")"
expect_no_leftovers "$FERRYD"

# A peer vanishes: the sender gets an error within seconds (the fabric
# gives up on it after FERRY_OFI_PEER_TIMEOUT s), naming the rank and host
# it lost; with --no-abort-on-exit the launcher says so at once.
FERRY_OFI_PEER_TIMEOUT=2 run_job 60 --host localhost,nodeB $L "$MNPROGS/peerloss"
expect_rc 0
expect_out "^peerloss: send [0-9]* to rank 1 failed after [0-9.]* s: \(a peer rank died\|the port is dead\)"
expect_err "^ferry\[0\]: ofi: lost rank 1 (host nodeB) while "
run_job 60 --no-abort-on-exit --host localhost,nodeB $L "$MNPROGS/peerloss"
expect_rc 0
expect_out "^peerloss: send [0-9]* to rank 1 failed after [0-9.]* s: the port is dead"

# The agent cannot be started: a clear error, at once.
mark
run_job 30 --host localhost,nodeB --launcher-exec false "$EXIT_CODE" sleep
expect_rc 1
expect_err "^ferryrun: lost the agent on host nodeB (1 rank not ended): 'false' exited with code 1 before the agent connected$"
[ "$(elapsed_ms)" -lt 5000 ] || fail "a failed launch took $(elapsed_ms) ms"
expect_no_leftovers "$(prog_re "$EXIT_CODE")"

# Bad host lists and hostfiles: usage errors naming the problem.
HF=$(mktemp)
printf 'localhost slots=2\n# comment\n\nnodeB slots=two\n' >"$HF"
run_job 10 --hostfile "$HF" $L "$EXIT_CODE" ok
expect_rc 2
expect_err "^ferryrun: $HF:4: unexpected 'slots=two' (expected 'host slots=N', N >= 1)$"
printf 'localhost slots=1\nnodeB slots=2 # two\n' >"$HF"
run_job 60 --hostfile "$HF" $L "$EXIT_CODE" ok
expect_rc 0
run_job 10 -n 9 --hostfile "$HF" $L "$EXIT_CODE" ok
expect_rc 2
expect_err "9 ranks do not fit the 3 slots"
rm -f "$HF"
run_job 10 --host 'node;B' $L "$EXIT_CODE" ok
expect_rc 2
expect_err "bad host name 'node;B'"
exit 0
