#!/bin/sh
# kill -9 a rank in the middle of a large rendezvous, as the sender and as
# the receiver, through shared memory (a single copy by the receiver) and
# through the fabric (FERRY_TRANSPORTS=ofi: fi_read by the receiver). Rank
# 0 streams large messages to rank 1 and nearly all the time goes into
# the transfers, so the kill lands in one. The job ends with ferryrun
# naming the rank and SIGKILL and exiting 137; under --no-abort-on-exit the
# survivor first gets an error from its send or receive, not a hang; no
# process is left and nothing in /dev/shm.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/multinode/lib.sh"
FAULT="$top_builddir/tests/fault/progs/fault"
# 1 GiB through shared memory; 256 MiB through the fabric, where over TCP
# on this machine a 1 GiB message takes seconds: the path is the same for
# any message past the eager limit (matched first, then pulled by fi_read
# in many pieces), and 256 MiB is still far more than one piece.
SHM_MB=${FAULT_SHM_MB:-1024}
OFI_MB=${FAULT_OFI_MB:-256}

# kill_mid VICTIM TRANSPORTS [FERRYRUN-OPTIONS...]
kill_mid() {
    local victim=$1 tp=$2 i pid vpid mb=$SHM_MB
    shift 2
    [ "$tp" = shm ] || mb=$OFI_MB
    shm_snapshot
    : >"$OUT"
    : >"$ERR"
    FERRY_TRANSPORTS=self,$tp "$FERRYRUN" "$@" -n 2 "$FAULT" stream "$mb" >"$OUT" 2>"$ERR" &
    pid=$!
    i=0
    while [ "$(grep -c 'streaming$' "$OUT")" -lt 2 ]; do
        i=$((i + 1))
        [ "$i" -lt 600 ] && kill -0 "$pid" 2>/dev/null ||
            { kill -KILL "$pid" 2>/dev/null; fail "the ranks did not start streaming ($tp)"; }
        sleep 0.05
    done
    vpid=$(find_rank "$FAULT" "PMI_RANK=$victim") || { kill -KILL "$pid"; fail "no rank $victim"; }
    # Somewhere inside the next message, whatever its length.
    sleep "0.$(shuf -i 10-60 -n 1)"
    mark
    kill -KILL "$vpid"
    RC=0
    wait "$pid" || RC=$?
    [ "$(elapsed_ms)" -lt 10000 ] || fail "the job took $(elapsed_ms) ms to end ($tp)"
    expect_rc 137
    expect_err "^ferryrun: rank $victim (pid $vpid) killed by signal SIGKILL"
    [ "$(grep -c '^ferryrun: rank' "$ERR")" -eq 1 ] || fail "more than the killed rank reported"
    expect_no_leftovers "$(prog_re "$FAULT")"
    expect_shm_unchanged
}

for tp in shm ofi; do
    for victim in 0 1; do
        kill_mid "$victim" "$tp" --no-abort-on-exit
        survivor=$((1 - victim))
        what=send
        [ "$survivor" = 0 ] || what=receive
        expect_out "^fault: rank $survivor: $what of message [0-9]* failed: "
    done
done
# Without --no-abort-on-exit ferryrun ends the survivor itself.
kill_mid 1 shm
exit 0
