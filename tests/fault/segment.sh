#!/bin/sh
# A job whose shared segment the node cannot hold fails at once with a
# clear error, never with a SIGBUS when a rank first touches the memory:
# a heap (FERRY_SHM_HEAP_MB) larger than the node's memory, or a bad
# value, stops ferryrun before any rank starts. As root, ranks started by
# Hydra in a private mount namespace whose /dev/shm is a 16 MiB tmpfs (as
# in a container) make their named segment there: the default heap shrinks
# to what fits and filling it ends in FERRY_ERR_NOMEM, not SIGBUS; a heap
# asked for that cannot fit is refused at start. Nothing is left running
# and nothing in /dev/shm.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/multinode/lib.sh"
FAULT="$top_builddir/tests/fault/progs/fault"

ram_mb=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
for heap in $((ram_mb * 2)) 16777216; do
    shm_snapshot
    mark
    FERRY_SHM_HEAP_MB=$heap run_job 20 -n 2 "$FAULT" heap
    expect_rc 1
    expect_err "^ferryrun: cannot create the node's shared segment for 2 ranks: FERRY_SHM_HEAP_MB=$heap is more than the node's shared memory can hold ([0-9]* MiB"
    [ "$(elapsed_ms)" -lt 3000 ] || fail "refusing a heap of $heap MiB took $(elapsed_ms) ms"
    [ ! -s "$OUT" ] || fail "ranks started"
    expect_no_leftovers "$FAULT"
    expect_shm_unchanged
done
for bad in 0 -5 12abc 99999999999; do
    FERRY_SHM_HEAP_MB=$bad run_job 20 -n 2 "$FAULT" heap
    expect_rc 1
    expect_err "^ferryrun: cannot create the node's shared segment for 2 ranks: FERRY_SHM_HEAP_MB='$bad' is not a number of MiB from 1 to 16777216$"
done

# The same through an agent on another "host".
FERRY_SHM_HEAP_MB=$((ram_mb * 2)) run_job 30 --host localhost,nodeB \
    --launcher-exec "$MNDIR/local-exec.sh" "$FAULT" heap
expect_rc 1
expect_err "cannot create the node's shared segment for 1 ranks: FERRY_SHM_HEAP_MB=$((ram_mb * 2)) is more"
expect_no_leftovers "$FAULT"
expect_no_leftovers "$FERRYD"

HYDRA=$(command -v mpiexec.hydra) || { echo "SKIP (in part) $TEST_NAME: no mpiexec.hydra"; exit 0; }
if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
    echo "SKIP (in part) $TEST_NAME: a small /dev/shm needs root (a private mount namespace)"
    exit 0
fi
unset PMI_FD PMI_RANK PMI_SIZE FERRY_SHM_FD FERRY_NODE_ID
# in_small_shm HEAP CMD...: run CMD with /dev/shm a 16 MiB tmpfs of its own;
# afterwards, print what is left in it.
in_small_shm() {
    local heap=$1
    shift
    RC=0
    FERRY_SHM_HEAP_MB=$heap timeout -k 5 60 unshare -m --propagation private sh -c '
        mount -t tmpfs -o size=16m ferry-fault /dev/shm || exit 99
        [ -n "$FERRY_SHM_HEAP_MB" ] || unset FERRY_SHM_HEAP_MB
        rc=0
        "$@" || rc=$?
        ls /dev/shm >&2
        exit $rc' sh "$@" >"$OUT" 2>"$ERR" || RC=$?
    [ "$RC" -ne 99 ] || fail "cannot mount a tmpfs on /dev/shm"
}
in_small_shm "" "$HYDRA" -n 2 "$FAULT" heap
expect_rc 0
expect_out "^fault: heap full after [0-9]* MiB$"
n=$(sed -n 's/^fault: heap full after \([0-9]*\) MiB$/\1/p' "$OUT")
[ "$n" -ge 1 ] && [ "$n" -le 8 ] || fail "a heap of $n MiB in 16 MiB of /dev/shm"
[ "$(grep -c '^fault: rank [01] ok$' "$OUT")" -eq 2 ] || fail "not every rank ok"
[ "$(grep -c ferry "$ERR")" -eq 0 ] || fail "left in /dev/shm: $(grep ferry "$ERR")"
in_small_shm 64 "$HYDRA" -n 2 "$FAULT" heap
[ "$RC" -ne 0 ] || fail "a 64 MiB heap in 16 MiB of /dev/shm was accepted"
expect_err "cannot share the node's named segment /ferry-.* with 2 local ranks: FERRY_SHM_HEAP_MB=64 is more than the node's shared memory can hold"
[ "$(grep -c '^fault: rank' "$OUT")" -eq 0 ] || fail "ranks went on"
ls_left=$(grep -v ':' "$ERR" | grep ferry || true)
[ -z "$ls_left" ] || fail "left in /dev/shm: $ls_left"
expect_no_leftovers "$FAULT"
exit 0
