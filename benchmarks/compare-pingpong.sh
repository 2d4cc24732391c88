#!/bin/sh
# compare-pingpong.sh: Ferry's pingpong next to Open MPI's and MPICH's, on
# this node, with every figure a ratio against the best peer.
#
# Run it from a built tree (the directory holding ./ferryrun):
#
#   cd BUILD && SRC/benchmarks/compare-pingpong.sh [options]
#
# Options:
#   -r REPS      runs per implementation, alternating Ferry, Open MPI, MPICH
#                (default 5)
#   --quick      3 runs (unless -r) of 1000 iterations per size (-i 1000 -w 100)
#   -m MIN:MAX   message sizes, passed to both benchmarks (default 0:4194304)
#   -b BUILD     the built tree (default: the current directory)
#   -o DIR       keep every run's raw output in DIR
#   -h           print this help
#
# It builds benchmarks/mpi_pingpong.openmpi and benchmarks/mpi_pingpong.mpich
# in the built tree from benchmarks/mpi_pingpong.c with mpicc.openmpi and
# mpicc.mpich (Debian: openmpi-bin libopenmpi-dev mpich libmpich-dev); a peer
# that is not installed, or fails to run, is left out with a note. Ferry runs
# benchmarks/ferry_pingpong (the same measurement through native ports) with
# ./ferryrun -n 2 --bind-to core; Ferry-MPI is mpi_pingpong.c built with the
# tree's ./mpicc (benchmarks/mpi_pingpong.ferry), run with ./mpirun -n 2
# --bind-to core, shown beside the others but not a peer in the ratio; Open
# MPI with mpirun.openmpi -n 2 --bind-to
# core over the shared-memory BTLs; MPICH with mpiexec.mpich -n 2 -bind-to
# core. Each cell is the median over the runs with [min-max]. The ratio is
# Ferry's median over the best peer median: for latency above 1 means Ferry
# is slower, for bandwidth below 1 means Ferry is slower.
set -eu

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "compare-pingpong: $*" >&2; exit 1; }
bad_usage() { echo "compare-pingpong: $*" >&2; usage >&2; exit 2; }

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(pwd)
reps=
quick=0
range=
keep=
while [ $# -gt 0 ]; do
    case $1 in
    -r) [ $# -ge 2 ] || bad_usage "-r needs a value"; reps=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    -m) [ $# -ge 2 ] || bad_usage "-m needs a value"; range=$2; shift 2 ;;
    -b) [ $# -ge 2 ] || bad_usage "-b needs a value"; build=$(cd "$2" && pwd) || exit 2; shift 2 ;;
    -o) [ $# -ge 2 ] || bad_usage "-o needs a value"; keep=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) bad_usage "unknown option '$1'" ;;
    esac
done
if [ -z "$reps" ]; then
    if [ "$quick" = 1 ]; then reps=3; else reps=5; fi
fi
case $reps in *[!0-9]* | 0 | 0*) bad_usage "-r wants a positive count, not '$reps'" ;; esac

if [ ! -x "$build/ferryrun" ] || [ ! -x "$build/benchmarks/ferry_pingpong" ]; then
    die "no ferryrun or benchmarks/ferry_pingpong in $build: run make there first (or give -b BUILD)"
fi

args=
[ "$quick" = 0 ] || args="-i 1000 -w 100"
[ -z "$range" ] || args="$args -m $range"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -z "$keep" ] || mkdir -p "$keep"

# Ferry first, then each peer that builds; the peers' binaries live next to
# ferry_pingpong.
impls="ferry"
if [ -x "$build/mpicc" ]; then
    bin=$build/benchmarks/mpi_pingpong.ferry
    if [ ! -x "$bin" ] ||
        [ -n "$(find "$src/benchmarks/mpi_pingpong.c" "$build/.libs" -newer "$bin" | head -n 1)" ]; then
        "$build/mpicc" -O2 -o "$bin" "$src/benchmarks/mpi_pingpong.c" || die "$build/mpicc failed"
    fi
    impls="$impls ferrympi"
fi
for peer in openmpi mpich; do
    cc=mpicc.$peer
    bin=$build/benchmarks/mpi_pingpong.$peer
    if ! command -v "$cc" >/dev/null 2>&1; then
        echo "note: $cc not found, leaving $peer out" >&2
        continue
    fi
    if [ ! -x "$bin" ] || [ -n "$(find "$src/benchmarks/mpi_pingpong.c" -newer "$bin")" ]; then
        "$cc" -O2 -o "$bin" "$src/benchmarks/mpi_pingpong.c" || die "$cc failed"
    fi
    impls="$impls $peer"
done

# run IMPL REP: one run, its table rows appended to $work/data as
# "impl size latency bandwidth". A failing peer is dropped; Ferry failing
# ends the comparison.
run() {
    out=$work/$1.$2.out
    # shellcheck disable=SC2086 # $args is a list of options
    if ! case $1 in
    ferry) timeout 600 "$build/ferryrun" -n 2 --bind-to core "$build/benchmarks/ferry_pingpong" $args ;;
    ferrympi) timeout 600 "$build/mpirun" -n 2 --bind-to core "$build/benchmarks/mpi_pingpong.ferry" $args ;;
    openmpi)
        OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 600 mpirun.openmpi -n 2 \
            --bind-to core --mca btl self,vader "$build/benchmarks/mpi_pingpong.openmpi" $args
        ;;
    mpich) timeout 600 mpiexec.mpich -n 2 -bind-to core "$build/benchmarks/mpi_pingpong.mpich" $args ;;
    esac >"$out" 2>"$out.err"; then
        cat "$out.err" >&2
        [ "$1" != ferry ] || die "the Ferry run failed (above)"
        echo "note: $1 failed (above), leaving it out" >&2
        impls=$(echo "$impls" | sed "s/ $1//")
        return
    fi
    [ -z "$keep" ] || cp "$out" "$keep/$1.$2.out"
    awk -v impl="$1" '!/^#/ && NF == 3 { print impl, $1, $2, $3 }' "$out" >>"$work/data"
}

echo "# compare-pingpong: $reps runs each, $(nproc) cores, $(uname -r)," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
    "load average $(cut -d ' ' -f 1 /proc/loadavg) at start"
i=1
while [ "$i" -le "$reps" ]; do
    for impl in $impls; do
        printf '# run %d/%d: %s\n' "$i" "$reps" "$impl" >&2
        run "$impl" "$i"
    done
    i=$((i + 1))
done

# One table per metric. Latency: the best peer is the lowest; bandwidth: the
# highest. Medians are of the runs, so one slow run does not move them.
table() {
    awk -v col="$1" -v best="$2" -v title="$3" -v impls="$impls" '
    function median(list, n,    v, i, j, t) {
        n = split(list, v, " ")
        for (i = 2; i <= n; i++)
            for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        lo = v[1]; hi = v[n]
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    { vals[$1, $2] = vals[$1, $2] " " $col; if (!($2 in seen)) { seen[$2] = 1; sizes[++ns] = $2 } }
    END {
        ni = split(impls, name, " ")
        label["ferry"] = "Ferry"; label["ferrympi"] = "Ferry-MPI"; label["openmpi"] = "Open MPI"; label["mpich"] = "MPICH"
        printf "# %s\n%-10s", title, "Size"
        for (i = 1; i <= ni; i++) printf "  %-29s", label[name[i]]
        printf "  %s\n", "Ferry/best"
        for (s = 1; s <= ns; s++) {
            size = sizes[s]
            printf "%-10s", size
            bestv = ""
            for (i = 1; i <= ni; i++) {
                if (!((name[i], size) in vals)) { printf "  %-29s", "-"; continue }
                m = median(vals[name[i], size])
                printf "  %-29s", sprintf("%.2f [%.2f-%.2f]", m, lo, hi)
                if (name[i] == "ferry") fm = m
                else if (name[i] == "ferrympi") continue
                else if (bestv == "" || (best == "min" ? m < bestv : m > bestv)) bestv = m
            }
            if (bestv == "" || bestv + 0 == 0) printf "  -\n"
            else printf "  %.2f\n", fm / bestv
        }
    }' "$work/data"
}
echo
table 3 min "Latency (us), median [min-max] of $reps runs"
echo
table 4 max "Bandwidth (MB/s), median [min-max] of $reps runs"
