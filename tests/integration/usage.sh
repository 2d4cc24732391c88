#!/bin/sh
# Bad usage: one "ferryrun: <what>" line naming the problem, the usage, exit
# code 2, nothing started. --help and --version succeed.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

EXIT_CODE="$PROGS/exit_code"
NOEXEC=$(mktemp)
chmod 644 "$NOEXEC"
trap 'rm -f "$OUT" "$ERR" "$NOEXEC"' EXIT

# bad_usage PHRASE ARGS...: ferryrun ARGS fails as bad usage saying PHRASE.
bad_usage() {
    local phrase=$1
    shift
    run_job 10 "$@"
    expect_rc 2
    [ "$(grep -c '^ferryrun: ' "$ERR")" -eq 1 ] || fail "ferryrun $*: not exactly one error line"
    head -n 1 "$ERR" | grep -q "^ferryrun: .*$phrase" || fail "ferryrun $*: first line lacks '$phrase'"
    expect_err "^Usage: ferryrun"
    [ ! -s "$OUT" ] || fail "ferryrun $*: wrote to stdout"
}

bad_usage "unknown option '--bogus'" --bogus -n 2 "$EXIT_CODE"
bad_usage "unknown option '-q'" -q "$EXIT_CODE"
bad_usage "positive integer, got '0'" -n 0 "$EXIT_CODE"
bad_usage "positive integer, got 'four'" -np four "$EXIT_CODE"
bad_usage "positive integer, got '-3'" -n -3 "$EXIT_CODE"
bad_usage "positive integer, got '2x'" --np=2x "$EXIT_CODE"
bad_usage "at most 4096 ranks" -n 100000 "$EXIT_CODE"
bad_usage "option '-n' needs a value" -n
bad_usage "option '--timeout' needs a value" --timeout
bad_usage "number of seconds, got '0'" --timeout 0 "$EXIT_CODE"
bad_usage "option '--tag-output' takes no value" --tag-output=yes "$EXIT_CODE"
bad_usage "no program given" -n 2
bad_usage "no program given"
bad_usage "no program given" -n 2 --
bad_usage "expected core or none, got 'socket'" --bind-to socket "$EXIT_CODE"
bad_usage "expected VAR or VAR=value" -x =value "$EXIT_CODE"
bad_usage "program 'ferry-no-such-program' not found in PATH" -n 2 ferry-no-such-program
bad_usage "program '/nonexistent/prog' not found" /nonexistent/prog
bad_usage "program '$NOEXEC' is not executable" -n 2 "$NOEXEC"
bad_usage "is a directory" -n 2 "$top_builddir"

# Nothing of a rejected job may have started.
expect_no_leftovers "$EXIT_CODE"

run_job 10 --help
expect_rc 0
expect_out "^Usage: ferryrun"
expect_out "--bind-to core|none"
[ ! -s "$ERR" ] || fail "--help wrote to stderr"

run_job 10 --version
expect_rc 0
grep -qx "ferryrun (Ferry) [0-9][0-9.]*" "$OUT" || fail "--version printed '$(cat "$OUT")'"

# Options stop at the program: its own options are not ferryrun's.
run_job 10 -n 1 sh -c 'echo "args:$*"' sh --bogus -n 0
expect_rc 0
expect_out "^args:--bogus -n 0$"
# A program given without '/' is searched in PATH, and accepted forms work.
run_job 10 --np=2 --oversubscribe --bind-to none -- true
expect_rc 0

# Default binding: ranks that share the cores evenly are bound (rank i to
# core i mod cores), uneven shares are left to the kernel.
run_job 30 --verbose --bind-to core -n 64 true
expect_rc 0
cores=$(sed -n 's/.*rank [0-9]*: pid [0-9]*, core \([0-9]*\) .*/\1/p' "$ERR" | sort -u | wc -l)
[ "$cores" -ge 1 ] || fail "--bind-to core: no rank bound: $(cat "$ERR")"
run_job 30 --verbose -n $((2 * cores)) true
expect_rc 0
expect_err "rank $((2 * cores - 1)): pid [0-9]*, core $((cores - 1)) "
if [ "$cores" -ge 2 ]; then
    run_job 30 --verbose -n $((2 * cores + 1)) true
    expect_rc 0
    expect_err "rank 0: pid [0-9]*, not bound"
fi
exit 0
