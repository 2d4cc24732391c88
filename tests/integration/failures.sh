#!/bin/sh
# A failing rank ends the whole job: ferryrun names the rank and the cause,
# exits with its status, and leaves no process and nothing in /dev/shm.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

EXIT_CODE="$PROGS/exit_code"

# elapsed_ms: milliseconds since the last mark.
mark() { T0=$(date +%s%N); }
elapsed_ms() { echo $((($(date +%s%N) - T0) / 1000000)); }

# check_failure SECONDS RC STDERR-PATTERN HOW...: a 4-rank job ends in time.
check_failure() {
    local limit=$1 rc=$2 pattern=$3
    shift 3
    shm_snapshot
    run_job "$limit" -n 4 "$EXIT_CODE" "$@"
    expect_rc "$rc"
    expect_err "$pattern"
    expect_no_leftovers "$EXIT_CODE"
    expect_shm_unchanged
}

# A rank exits non-zero while the others finish normally or sleep.
check_failure 20 3 "^ferryrun: rank 2 (pid [0-9]*) exited with code 3$" ok ok code:3 ok
check_failure 20 3 "^ferryrun: rank 2 (pid [0-9]*) exited with code 3$" sleep sleep code:3 sleep
[ "$(grep -c '^ferryrun: rank' "$ERR")" -eq 1 ] || fail "more than the first failure reported"

# A rank dies by a signal: named, and the status is 128+signal.
check_failure 20 139 "^ferryrun: rank 1 (pid [0-9]*) killed by signal SIGSEGV" sleep segv sleep

# Ranks that ignore SIGTERM are killed anyway, all within about 2 s.
mark
check_failure 20 5 "^ferryrun: rank 3 (pid [0-9]*) exited with code 5$" stubborn sleep stubborn code:5
[ "$(elapsed_ms)" -lt 4000 ] || fail "teardown took $(elapsed_ms) ms"

# abort through PMI: "cmd=abort exitcode=7".
check_failure 20 7 "^ferryrun: rank 1 called abort (exit code 7)" sleep abort:7 sleep sleep
expect_err "test_abort_of_rank_1"

# A rank that exits 0 without finalize while the others wait in the PMI
# barrier of ferry_finalize: the job ends, naming both.
check_failure 20 1 "rank 0 (pid [0-9]*) can never join" code:0 ok

# --timeout ends a job that would run forever: 124 and the message.
mark
ALLOW_TIMEOUT=1
shm_snapshot
run_job 20 --timeout 1 -n 2 "$EXIT_CODE" sleep
ALLOW_TIMEOUT=0
expect_rc 124
expect_err "^ferryrun: job exceeded --timeout 1 s$"
[ "$(elapsed_ms)" -lt 5000 ] || fail "--timeout 1 took $(elapsed_ms) ms"
expect_no_leftovers "$EXIT_CODE"
expect_shm_unchanged

# SIGTERM and SIGINT to ferryrun reach every rank; the job then ends with
# 128+signal and nothing left running, even a rank that ignores them. (A
# script starts background jobs with SIGINT ignored: undo that.)
for sig in TERM:15 INT:2; do
    num=${sig#*:}
    sig=${sig%:*}
    # Empty the files here: the background job's own redirection may come
    # after the wait below has read the last round's "ready" lines.
    : >"$OUT"
    : >"$ERR"
    env --default-signal=INT "$FERRYRUN" -n 3 "$EXIT_CODE" term-report term-report stubborn >"$OUT" 2>"$ERR" &
    pid=$!
    wait_ready 3 "$pid"
    mark
    kill -"$sig" "$pid"
    RC=0
    wait "$pid" || RC=$?
    expect_rc $((128 + num))
    [ "$(elapsed_ms)" -lt 4000 ] || fail "SIG$sig teardown took $(elapsed_ms) ms"
    expect_out "^exit_code: rank 0 got signal $num$"
    expect_out "^exit_code: rank 1 got signal $num$"
    expect_err "caught SIG$sig"
    expect_no_leftovers "$EXIT_CODE"
done

# A program that never speaks PMI is fine, and so is one that fails on its own.
run_job 10 -n 3 sh -c 'exec 0<&-; exit 0'
expect_rc 0
run_job 10 -n 2 sh -c '[ "$PMI_RANK" = 1 ] && exit 4; exit 0'
expect_rc 4
expect_err "^ferryrun: rank 1 (pid [0-9]*) exited with code 4$"
exit 0
