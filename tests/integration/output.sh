#!/bin/sh
# Output of the ranks: every line arrives exactly once and intact, never
# mixed with another rank's; --tag-output, -x and the PMI environment.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"

PRINT_LINES="$PROGS/print_lines"
EXPECT=$(mktemp)
GOT=$(mktemp)
trap 'rm -f "$OUT" "$ERR" "$EXPECT" "$GOT"' EXIT

# expected NP COUNT LEN STREAM: the lines print_lines writes to STREAM.
expected() {
    awk -v np="$1" -v count="$2" -v len="$3" -v s="$4" 'BEGIN {
        for (r = 0; r < np; r++)
            for (i = 0; i < count; i++) {
                c = sprintf("%c", 97 + (7 * r + i) % 26)
                p = ""
                for (k = 0; k < len; k++) p = p c
                print "r " r " " s " " i " " p
            }
    }' | sort
}

# check_stream NP COUNT LEN STREAM FILE: FILE's STREAM lines are exactly the
# expected ones: none lost, duplicated, cut or mixed.
check_stream() {
    expected "$1" "$2" "$3" "$4" >"$EXPECT"
    grep "^r [0-9]* $4 " "$5" | sort >"$GOT"
    cmp -s "$EXPECT" "$GOT" ||
        fail "$4 lines differ: $(diff "$EXPECT" "$GOT" | grep -c '^[<>]') lines wrong, e.g. $(diff "$EXPECT" "$GOT" | grep '^[<>]' | head -n 1 | cut -c 1-80)"
    # Nothing but whole lines of our format reached the stream.
    [ "$(grep -vc '^r [0-9]* \(out\|err\|info\|env\) ' "$5")" -eq 0 ] ||
        fail "stray text on $4: $(grep -v '^r [0-9]* \(out\|err\|info\|env\) ' "$5" | head -n 1 | cut -c 1-80)"
}

# 4 ranks, 2000 lines of 300 bytes on each of stdout and stderr, at once.
run_job 120 -n 4 "$PRINT_LINES" 2000 300
expect_rc 0
check_stream 4 2000 300 out "$OUT"
check_stream 4 2000 300 err "$ERR"
for r in 0 1 2 3; do
    expect_out "^r $r info rank=$r size=4 pmi_rank=$r pmi_size=4$"
done

# More ranks than cores, short lines, many of them.
run_job 120 -n 6 "$PRINT_LINES" 5000 20
expect_rc 0
check_stream 6 5000 20 out "$OUT"
check_stream 6 5000 20 err "$ERR"

# --tag-output: each line carries its own rank's tag, and only that.
run_job 120 --tag-output -n 4 "$PRINT_LINES" 1000 100
expect_rc 0
for s in out err; do
    if [ $s = out ]; then f=$OUT; else f=$ERR; fi
    bad=$(grep -vc "^\[1,\([0-9]\)\]<std$s>:r \1 " "$f")
    [ "$bad" -eq 0 ] || fail "$bad std$s lines without their rank's tag, e.g. $(grep -v "^\[1,\([0-9]\)\]<std$s>:r \1 " "$f" | head -n 1 | cut -c 1-80)"
    sed 's/^\[1,[0-9]*\]<std'$s'>://' "$f" >"$GOT.untagged"
    check_stream 4 1000 100 $s "$GOT.untagged"
    rm -f "$GOT.untagged"
done

# A partial last line is flushed at EOF; a line longer than the launcher's
# buffer arrives whole (in pieces, with nothing in between for one rank).
run_job 60 -n 1 "$PRINT_LINES" 3 200000 --tail
expect_rc 0
check_stream 1 3 200000 err "$ERR"
[ "$(tail -c 8 "$OUT")" = "r 0 tail" ] || fail "partial last line lost: '$(tail -c 20 "$OUT")'"
head -n 4 "$OUT" | tail -n 3 | sort >"$GOT"
expected 1 3 200000 out >"$EXPECT"
cmp -s "$EXPECT" "$GOT" || fail "long stdout lines damaged"

# -x VAR exports ferryrun's value; -x VAR=value sets one (even over an
# inherited variable); the value may hold '='.
FERRY_TEST_A=from-env FERRY_TEST_C=inherited
export FERRY_TEST_A FERRY_TEST_C
run_job 60 -n 2 -x FERRY_TEST_A -x FERRY_TEST_B=given=x -x FERRY_TEST_C=override \
    "$PRINT_LINES" 0 0 --env FERRY_TEST_A --env FERRY_TEST_B --env FERRY_TEST_C
expect_rc 0
for r in 0 1; do
    expect_out "^r $r env FERRY_TEST_A=from-env$"
    expect_out "^r $r env FERRY_TEST_B=given=x$"
    expect_out "^r $r env FERRY_TEST_C=override$"
done

# The environment of the contract reaches a program that is not Ferry's.
run_job 30 -n 3 sh -c 'echo "rank=$PMI_RANK size=$PMI_SIZE fd=${PMI_FD:+set} shm=${FERRY_SHM_FD:+set} node=$FERRY_NODE_ID"'
expect_rc 0
for r in 0 1 2; do expect_out "^rank=$r size=3 fd=set shm=set node=0$"; done
exit 0
