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

# No process running the given program path may outlive the job.
expect_no_leftovers() {
    local prog=$1 i
    for i in 1 2 3 4 5 6 7 8 9 10; do
        pgrep -f -- "$prog" >/dev/null || return 0
        sleep 0.2
    done
    fail "processes of $prog still running: $(pgrep -af -- "$prog")"
}

# Ferry never creates names in /dev/shm when started by ferryrun.
shm_snapshot() { ls /dev/shm 2>/dev/null | sort >"$OUT.shm"; }
expect_shm_unchanged() {
    ls /dev/shm 2>/dev/null | sort | diff "$OUT.shm" - >/dev/null ||
        fail "/dev/shm changed: $(ls /dev/shm | sort | comm -13 "$OUT.shm" -)"
    rm -f "$OUT.shm"
}
