# Helpers for multi-node tests, on top of the integration tests' lib.sh.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/multinode/nethosts.sh"
MNDIR="$top_srcdir/tests/multinode"
MNPROGS="$top_builddir/tests/multinode/progs"
FERRYD="$top_builddir/ferryd"

# nethosts_test NAME N: this test's N namespace hosts, ${PFX}1..N at
# $NET.1..N (PFX from NAME), removed with $OUT and $ERR however the test
# ends; skips (77) without root, ip or namespaces. Sets PFX, NET and L
# (ferryrun's --launcher-exec for them).
nethosts_test() {
    if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1; then
        echo "SKIP $TEST_NAME: needs root and ip (iproute2) to make network namespaces"
        exit 77
    fi
    PFX="$1$$-"
    NET=10.77.0
    NETHOSTS=$2
    trap 'nethosts_down "$PFX" "$NETHOSTS"; rm -f "$OUT" "$ERR"' EXIT
    trap 'exit 1' INT TERM HUP
    nethosts_up "$PFX" "$NET" "$NETHOSTS"
    case $? in
    0) ;;
    2) echo "SKIP $TEST_NAME: cannot make network namespaces here"; exit 77 ;;
    *) fail "cannot set up the namespace hosts" ;;
    esac
    L="--launcher-exec=$MNDIR/netns-exec.sh $PFX"
}

# Must match SIZES in tests/integration/progs/exchange.c.
SIZES="0 1 7 8 63 64 65 4095 4096 65539 1048581 16777216"
NSIZES=0
SUM=0
for s in $SIZES; do NSIZES=$((NSIZES + 1)); SUM=$((SUM + s)); done

# expect_verified N: every rank of an N-rank exchange reported all its data.
expect_verified() {
    local n="$1" r=0
    while [ "$r" -lt "$n" ]; do
        grep -qx "exchange: rank $r of $n: $((3 * n * NSIZES)) messages, $((3 * n * SUM)) bytes verified" "$OUT" ||
            fail "rank $r of $n did not verify $((3 * n * NSIZES)) messages and $((3 * n * SUM)) bytes"
        r=$((r + 1))
    done
}

# A pgrep pattern for a test program, whether run as built or through its
# libtool wrapper (then the process is .libs/NAME).
prog_re() { echo "$(dirname "$1")/(\.libs/)?(lt-)?$(basename "$1")( |\$)"; }

mark() { T0=$(date +%s%N); }
elapsed_ms() { echo $((($(date +%s%N) - T0) / 1000000)); }

# Wait (up to 10 s) until a process of ours running PROG has VAR=VALUE in
# its environment; print its pid.
find_rank() {
    local prog=$1 var=$2 i pid
    for i in $(seq 100); do
        for pid in $(tagged_procs "$(prog_re "$prog")"); do
            tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "$var" && { echo "$pid"; return 0; }
        done
        sleep 0.1
    done
    return 1
}
