#!/bin/sh
# Typed message bodies between ranks: every type, count and edge value is
# checked by its receiver, and port names carried in bodies are used to send
# replies (one of them to a third rank's port). Bodies are written in this
# host's byte order, in the other one (FERRY_TYPED_FORCE_SWAP=1), and mixed
# in one job (--native R keeps rank R's writers native).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

# expect_ranks N SWAPPED...: every rank of an N-rank job verified all it got,
# and rank r found the r-th SWAPPED of its 2N+2 messages swapped.
expect_ranks() {
    local n=$1 r=0 s
    shift
    for s in "$@"; do
        expect_out "^typed: rank $r of $n: $n bodies, $((n + 1)) replies verified; $s of $((2 * n + 2)) messages swapped$"
        r=$((r + 1))
    done
    [ "$r" -eq "$n" ] || fail "expect_ranks: $r counts for $n ranks"
}

# Rank r receives N bodies and N replies, one from each rank, and a
# hand-off and its reply, both from rank r-1.
for args in "3 plain 0 0 0" "3 swap 8 8 8" "3 native:1 6 6 4" "2 native:0 4 2" "4 swap 10 10 10 10"; do
    set -- $args
    n=$1 mode=$2
    shift 2
    case $mode in
    plain) opts= prog_args= ;;
    swap) opts="-x FERRY_TYPED_FORCE_SWAP=1" prog_args= ;;
    native:*) opts="-x FERRY_TYPED_FORCE_SWAP=1" prog_args="--native ${mode#native:}" ;;
    esac
    shm_snapshot
    # shellcheck disable=SC2086
    run_job 60 -n "$n" $opts "$PROGS/typed" $prog_args
    expect_rc 0
    expect_ranks "$n" "$@"
    expect_no_leftovers "$PROGS/typed"
    expect_shm_unchanged
done
exit 0
