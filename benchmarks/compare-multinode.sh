#!/bin/sh
# compare-multinode.sh: Ferry between two hosts next to the raw libfabric
# floor (fabtests' fi_pingpong on the same provider), and ferryrun's
# start-to-exit time on 1, 2 and 4 hosts. The hosts are network namespaces
# on this machine joined by veth pairs and a bridge (10.77.0.1-4 inside
# them only), so it needs root and ip (iproute2), and fi_pingpong
# (Debian: libfabric-bin).
#
# Run it from a built tree (the directory holding ./ferryrun):
#
#   cd BUILD && SRC/benchmarks/compare-multinode.sh [options]
#
# Options:
#   -r REPS      runs of each measurement, Ferry and fi_pingpong alternating
#                (default 5)
#   -p PROV      the libfabric provider for both (default tcp;ofi_rxm)
#   -s SIZES     comma-separated message sizes (default 1,64,4096,65536,1048576,4194304)
#   -b BUILD     the built tree (default: the current directory)
#   -o DIR       keep every run's raw output in DIR
#   -h           print this help
#
# When mpicc.openmpi and mpirun.openmpi are there (Debian: openmpi-bin
# libopenmpi-dev), benchmarks/mpi_pingpong.c built against Open MPI runs the
# same measurement over its TCP transport (btl tcp), launched across the
# namespaces the way ssh would; the column is left out otherwise.
#
# Every rank runs unbound (ferryrun and mpirun --bind-to none), as
# fi_pingpong does: the namespace hosts share this machine's cores, and each
# host's launcher, seeing a host of its own, would bind its first rank to
# core 0, so both ranks of the pingpong would share one core (Ferry 150 us,
# Open MPI milliseconds, instead of the 10-15 us of the fabric).
#
# Latency is half the round trip in microseconds and bandwidth the size over
# the one-way time in MB/s, for both (fi_pingpong's usec/xfer and MB/sec).
# Each cell is the median over the runs with [min-max]; the ratio is Ferry's
# median over fi_pingpong's (latency: above 1 is slower; bandwidth: below 1
# is slower). Start-up runs, two ranks per host, a Ferry program that does
# little more than ferry_init and ferry_finalize (ferry_pingpong with one
# 0-byte exchange), and /bin/true; ferryrun starts agents through the
# namespaces as it would through ssh. Open MPI's mpirun runs the same two
# (its pingpong with one 0-byte exchange, and /bin/true), its daemons
# started the same way.
set -eu

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "compare-multinode: $*" >&2; exit 1; }

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(pwd)
reps=5
prov='tcp;ofi_rxm'
sizes=1,64,4096,65536,1048576,4194304
keep=
while getopts r:p:s:b:o:h opt; do
    case $opt in
    r) reps=$OPTARG ;;
    p) prov=$OPTARG ;;
    s) sizes=$OPTARG ;;
    b) build=$OPTARG ;;
    o) keep=$OPTARG ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || die "needs root (it makes network namespaces)"
command -v ip >/dev/null || die "needs ip (iproute2)"
command -v fi_pingpong >/dev/null || die "needs fi_pingpong (Debian: libfabric-bin)"
[ -x "$build/ferryrun" ] && [ -x "$build/benchmarks/ferry_pingpong" ] ||
    die "no ferryrun or benchmarks/ferry_pingpong in $build (build first, or -b BUILD)"

PFX="fbench$$-"
NET=10.77.0
tmp=$(mktemp -d)
. "$src/tests/multinode/nethosts.sh"
cleanup() {
    nethosts_down "$PFX" 4
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
nethosts_up "$PFX" "$NET" 4 || die "cannot make the namespace hosts"
L="--launcher-exec=$src/tests/multinode/netns-exec.sh $PFX"
on() { h=$1; shift; ip netns exec "$PFX$h" "$@"; }

# Open MPI's ssh launcher hands the remote command over as one string.
ompi=
if command -v mpicc.openmpi >/dev/null && command -v mpirun.openmpi >/dev/null &&
    mpicc.openmpi -O2 -o "$tmp/mpi_pingpong.openmpi" "$src/benchmarks/mpi_pingpong.c" 2>"$tmp/cc.err"; then
    ompi=$tmp/mpi_pingpong.openmpi
    printf '#!/bin/sh\nprefix=$1\nhost=$2\nshift 2\nexec ip netns exec "$prefix${host##*.}" sh -c "$*"\n' \
        >"$tmp/ompi-exec"
    chmod +x "$tmp/ompi-exec"
fi

iters_for() { if [ "$1" -le 8192 ]; then echo 2000; elif [ "$1" -le 1048576 ]; then echo 300; else echo 50; fi; }
save() { [ -z "$keep" ] || { mkdir -p "$keep"; cp "$1" "$keep/$2"; }; }

# One Ferry pingpong at one size: "lat bw".
ferry_once() {
    local s=$1 n out=$tmp/ferry.out
    n=$(iters_for "$s")
    on 1 env FERRY_OFI_PROVIDER="$prov" "$build/ferryrun" -x FERRY_OFI_PROVIDER --host "$NET.1,$NET.2" "$L" \
        --bind-to none "$build/benchmarks/ferry_pingpong" -m "$s:$s" -i "$n" -w $((n / 10)) >"$out" 2>&1 ||
        { cat "$out" >&2; die "ferry_pingpong failed"; }
    save "$out" "ferry.$s.$rep"
    awk -v s="$s" '$1 == s { print $2, $3 }' "$out"
}

# One fi_pingpong at one size: "lat bw" (server on host 2, client on 1).
fi_once() {
    local s=$1 n out=$tmp/fi.out
    n=$(iters_for "$s")
    on 2 fi_pingpong -p "$prov" -e rdm -I "$n" -S "$s" >"$tmp/fi.srv" 2>&1 &
    local srv=$! try=0
    # The client tries again while the server is not listening yet.
    until on 1 fi_pingpong -p "$prov" -e rdm -I "$n" -S "$s" "$NET.2" >"$out" 2>&1; do
        try=$((try + 1))
        grep -q "Connection refused" "$out" && [ "$try" -lt 50 ] ||
            { cat "$out" >&2; kill "$srv" 2>/dev/null; die "fi_pingpong failed"; }
        sleep 0.1
    done
    wait "$srv" || true
    save "$out" "fi.$s.$rep"
    awk 'NR > 1 && NF >= 8 { print $7, $6 }' "$out" | head -n 1
}

# ompi_run HOSTS PROG ARGS...: Open MPI's mpirun over its TCP transport,
# one rank per slot of HOSTS ("a:2,b:2"), remote daemons through the
# namespaces as ssh would start them.
ompi_run() {
    local hosts=$1 np
    shift
    np=$(echo "$hosts" | tr ',' '\n' | awk -F: '{ n += NF > 1 ? $2 : 1 } END { print n }')
    on 1 mpirun.openmpi --allow-run-as-root --oversubscribe --bind-to none -np "$np" --host "$hosts" \
        --mca plm_rsh_agent "$tmp/ompi-exec $PFX" --mca pml ob1 --mca btl tcp,self \
        --mca btl_tcp_if_include eth0 --mca oob_tcp_if_include eth0 "$@"
}

# One Open MPI pingpong (btl tcp) at one size: "lat bw".
ompi_once() {
    local s=$1 n out=$tmp/ompi.out
    n=$(iters_for "$s")
    ompi_run "$NET.1,$NET.2" "$ompi" -m "$s:$s" -i "$n" -w $((n / 10)) >"$out" 2>&1 ||
        { cat "$out" >&2; die "Open MPI's pingpong failed"; }
    save "$out" "ompi.$s.$rep"
    awk -v s="$s" '$1 == s { print $2, $3 }' "$out"
}

# median [min-max] of the numbers on stdin.
stats() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "-"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.2f [%.2f-%.2f]\n", m, v[1], v[NR] }'
}
median() { echo "$1" | awk '{ print $1 }'; }

echo "# compare-multinode: $reps runs, provider $prov, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
sizes=$(echo "$sizes" | tr ',' ' ')
for rep in $(seq "$reps"); do
    for s in $sizes; do
        ferry_once "$s" >>"$tmp/ferry.$s"
        fi_once "$s" >>"$tmp/fi.$s"
        [ -z "$ompi" ] || ompi_once "$s" >>"$tmp/ompi.$s"
    done
done
[ -n "$ompi" ] || echo "# (Open MPI left out: no mpicc.openmpi/mpirun.openmpi)"

echo
# table TITLE COLUMN: one metric for every size, Ferry / fi_pingpong.
table() {
    echo "# Between two hosts: $1"
    printf "%-10s %-28s %-28s %-28s %s\n" size Ferry fi_pingpong "Open MPI (tcp)" "Ferry/fi"
    for s in $sizes; do
        f=$(awk -v c="$2" '{ print $c }' "$tmp/ferry.$s" | stats)
        p=$(awk -v c="$2" '{ print $c }' "$tmp/fi.$s" | stats)
        o=-
        [ -z "$ompi" ] || o=$(awk -v c="$2" '{ print $c }' "$tmp/ompi.$s" | stats)
        printf "%-10s %-28s %-28s %-28s %.2f\n" "$s" "$f" "$p" "$o" \
            "$(echo "$(median "$f") $(median "$p")" | awk '{ print $2 ? $1 / $2 : 0 }')"
    done
}
table "latency (us)" 1
echo
table "bandwidth (MB/s)" 2

echo
echo "# start to exit (ms), two ranks per host: ferryrun, and Open MPI's mpirun"
printf "%-6s %-26s %-26s %-26s %s\n" hosts "init+finalize" "/bin/true" "Open MPI init+finalize" \
    "Open MPI /bin/true"
for n in 1 2 4; do
    hosts=$(seq -s, -f "$NET.%g:2" 1 "$n")
    : >"$tmp/start.ferry"
    : >"$tmp/start.true"
    : >"$tmp/start.ompi"
    : >"$tmp/start.otrue"
    for rep in $(seq "$reps"); do
        t0=$(date +%s%N)
        on 1 "$build/ferryrun" --host "$hosts" "$L" "$build/benchmarks/ferry_pingpong" -m 0:0 -i 1 -w 0 \
            >/dev/null 2>&1 || die "start-up run on $n hosts failed"
        echo $((($(date +%s%N) - t0) / 1000000)) >>"$tmp/start.ferry"
        t0=$(date +%s%N)
        on 1 "$build/ferryrun" --host "$hosts" "$L" /bin/true >/dev/null 2>&1 ||
            die "start-up run of /bin/true on $n hosts failed"
        echo $((($(date +%s%N) - t0) / 1000000)) >>"$tmp/start.true"
        [ -n "$ompi" ] || continue
        t0=$(date +%s%N)
        ompi_run "$hosts" "$ompi" -m 0:0 -i 1 -w 0 >"$tmp/ompi.start" 2>&1 ||
            { save "$tmp/ompi.start" "ompi.start.$n.$rep"; continue; } # its cell stays "-"
        echo $((($(date +%s%N) - t0) / 1000000)) >>"$tmp/start.ompi"
        t0=$(date +%s%N)
        ompi_run "$hosts" /bin/true >/dev/null 2>&1 || continue
        echo $((($(date +%s%N) - t0) / 1000000)) >>"$tmp/start.otrue"
    done
    printf "%-6s %-26s %-26s %-26s %s\n" "$n" "$(stats <"$tmp/start.ferry")" \
        "$(stats <"$tmp/start.true")" "$(stats <"$tmp/start.ompi")" "$(stats <"$tmp/start.otrue")"
done
