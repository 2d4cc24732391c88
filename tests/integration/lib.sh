# Helpers for integration tests: sourced by each tests/integration/*.sh.
# Automake's test driver sets top_builddir/top_srcdir; fall back for manual runs.
set -u
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
FERRYRUN="$top_builddir/ferryrun"
PROGS="$top_builddir/tests/integration/progs"
TEST_NAME=$(basename "$0" .sh)
# Output of the last run_job.
OUT=$(mktemp)
ERR=$(mktemp)
trap 'rm -f "$OUT" "$ERR"' EXIT

fail() {
    echo "FAIL $TEST_NAME: $*" >&2
    echo "--- stdout" >&2; tail -n 20 "$OUT" >&2
    echo "--- stderr" >&2; tail -n 20 "$ERR" >&2
    exit 1
}

# run_job SECONDS ARGS...: ferryrun ARGS under a hard time limit; sets RC.
run_job() {
    local limit=$1; shift
    RC=0
    timeout -k 5 "$limit" "$FERRYRUN" "$@" >"$OUT" 2>"$ERR" || RC=$?
    [ "$RC" -ne 124 ] || [ "${ALLOW_TIMEOUT:-0}" = 1 ] || fail "ferryrun $* did not end within ${limit}s"
}

expect_rc() { [ "$RC" -eq "$1" ] || fail "exit code $RC, expected $1"; }
expect_err() { grep -q -- "$1" "$ERR" || fail "stderr lacks '$1'"; }
expect_out() { grep -q -- "$1" "$OUT" || fail "stdout lacks '$1'"; }

# Every process this test starts carries this tag in its environment, so
# tests running in parallel never count each other's ranks as leftovers.
FERRY_TEST_TAG="$TEST_NAME.$$"
export FERRY_TEST_TAG

# Processes running the given program path started by this test.
tagged_procs() {
    local pid
    for pid in $(pgrep -f -- "$1"); do
        [ "$pid" != "$$" ] || continue
        tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "FERRY_TEST_TAG=$FERRY_TEST_TAG" &&
            echo "$pid"
    done
}

# No process running the given program path may outlive the job.
expect_no_leftovers() {
    local prog=$1 i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        [ -n "$(tagged_procs "$prog")" ] || return 0
        sleep 0.2
    done
    fail "processes of $prog still running: $(tagged_procs "$prog" | xargs -r ps -o pid,args -p)"
}

# Ferry never creates names in /dev/shm when started by ferryrun. (Only
# names of Ferry's are looked at: other programs on the machine may come
# and go meanwhile.)
# wait_ready N PID [SECONDS] [SIGNAL]: wait until N ranks have printed a
# line ending in "ready" to $OUT; after SECONDS (10) send SIGNAL (KILL) to
# the job PID and fail.
wait_ready() {
    local n=$1 pid=$2 tenths=$((${3:-10} * 10)) sig=${4:-KILL} i=0
    while [ "$(grep -c 'ready$' "$OUT")" -lt "$n" ]; do
        i=$((i + 1))
        [ "$i" -lt "$tenths" ] || { kill -"$sig" "$pid"; fail "ranks not ready"; }
        sleep 0.1
    done
}
shm_names() { ls /dev/shm 2>/dev/null | grep -i ferry | sort; }
shm_snapshot() { shm_names >"$OUT.shm"; }
expect_shm_unchanged() {
    local new
    new=$(shm_names | comm -13 "$OUT.shm" -)
    rm -f "$OUT.shm"
    [ -z "$new" ] || fail "new in /dev/shm: $new"
}
