#!/bin/sh
# Ferry programs under another PMI-1 launcher, MPICH's Hydra
# (mpiexec.hydra): ranks that inherit no shared segment make a named one,
# which is gone from /dev/shm as soon as all of them have it. Skips when
# mpiexec.hydra is not installed (Debian package mpich).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/multinode/lib.sh"

HYDRA=$(command -v mpiexec.hydra) || {
    echo "SKIP hydra: mpiexec.hydra not found (Debian package mpich)"
    exit 77
}
# Hydra's own environment must not leak in from an outer launcher.
unset PMI_FD PMI_RANK PMI_SIZE FERRY_SHM_FD FERRY_NODE_ID

run_hydra() {
    local limit=$1
    shift
    RC=0
    timeout -k 5 "$limit" "$HYDRA" "$@" >"$OUT" 2>"$ERR" || RC=$?
    [ "$RC" -ne 124 ] || fail "mpiexec.hydra $* did not end within ${limit}s"
}

for n in 2 4; do
    shm_snapshot
    run_hydra 120 -n "$n" "$PROGS/exchange"
    expect_rc 0
    expect_verified "$n"
    expect_shm_unchanged
done

run_hydra 120 -n 5 "$PROGS/fanin" 5000
expect_rc 0
expect_out "^fanin: total 20000 messages from 4 senders, [0-9]* bytes, 0 errors$"

# While the job runs, the segment's name is already gone.
shm_snapshot
"$HYDRA" -n 3 "$PROGS/exit_code" sleep >"$OUT" 2>"$ERR" &
pid=$!
wait_ready 3 "$pid" 20 TERM
new=$(shm_names | comm -13 "$OUT.shm" -)
kill -TERM "$pid"
wait "$pid" 2>/dev/null
[ -z "$new" ] || fail "named segment still in /dev/shm while the job runs: $new"
expect_shm_unchanged
expect_no_leftovers "$(prog_re "$PROGS/exit_code")"

# No launcher at all: a job of one.
"$PROGS/exchange" >"$OUT" 2>"$ERR" || fail "a singleton run failed"
expect_verified 1
exit 0
