#!/bin/sh
# compare-coll.sh: Ferry's collectives next to Open MPI's and MPICH's on
# this node, every figure beside a ratio against the best peer.
#
# Run it from a built tree (the directory holding ./mpicc):
#
#   cd BUILD && SRC/benchmarks/compare-coll.sh [options]
#
# Options:
#   -n LIST      rank counts (default 2,4,8; oversubscribed beyond the cores)
#   -c LIST      collectives (default barrier,bcast,allreduce,allgather,alltoall,reduce)
#   -m MIN:MAX   sizes in bytes, by factors of 4 (default 8:1048576)
#   -r REPS      runs per implementation, alternating Ferry, Open MPI, MPICH
#                (default 3)
#   -b BUILD     the built tree (default: the current directory)
#   -o DIR       keep every run's raw output in DIR
#   -p LIST      peers to run beside Ferry (default openmpi,mpich)
#   -R           run every job at real-time priority (chrt -r 1: round
#                robin), so the other work of a shared machine does not
#                land inside one implementation's run more than another's
#   -h           print this help
#
# benchmarks/mpi_coll.c is built three times: with the tree's ./mpicc, with
# mpicc.openmpi and with mpicc.mpich (a peer that is missing or fails is left
# out with a note). Ferry runs under ./mpirun -n N, Open MPI under
# mpirun.openmpi --oversubscribe (--allow-run-as-root as root), MPICH under
# mpiexec.mpich -n N. Each cell is the median over the runs in microseconds
# with [min-max]; ratio is Ferry's median over the best peer's: above 1
# means Ferry is slower.
set -eu

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "compare-coll: $*" >&2; exit 1; }
bad_usage() { echo "compare-coll: $*" >&2; usage >&2; exit 2; }

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(pwd)
ranks=2,4,8
colls=barrier,bcast,allreduce,allgather,alltoall,reduce
range=8:1048576
reps=3
keep=
peers=openmpi,mpich
rt=
while [ $# -gt 0 ]; do
    case $1 in
    -n) [ $# -ge 2 ] || bad_usage "-n needs a value"; ranks=$2; shift 2 ;;
    -c) [ $# -ge 2 ] || bad_usage "-c needs a value"; colls=$2; shift 2 ;;
    -m) [ $# -ge 2 ] || bad_usage "-m needs a value"; range=$2; shift 2 ;;
    -r) [ $# -ge 2 ] || bad_usage "-r needs a value"; reps=$2; shift 2 ;;
    -b) [ $# -ge 2 ] || bad_usage "-b needs a value"; build=$(cd "$2" && pwd) || exit 2; shift 2 ;;
    -o) [ $# -ge 2 ] || bad_usage "-o needs a value"; keep=$2; shift 2 ;;
    -p) [ $# -ge 2 ] || bad_usage "-p needs a value"; peers=$2; shift 2 ;;
    -R) rt=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) bad_usage "unknown option '$1'" ;;
    esac
done
case $reps in *[!0-9]* | 0 | 0*) bad_usage "-r wants a positive count, not '$reps'" ;; esac
case $ranks in *[!0-9,]* | "") bad_usage "-n wants a list of rank counts, not '$ranks'" ;; esac
[ -x "$build/mpicc" ] && [ -x "$build/mpirun" ] ||
    die "no mpicc or mpirun in $build: run make there first (or give -b BUILD)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -z "$keep" ] || mkdir -p "$keep"

"$build/mpicc" -O2 -o "$work/coll.ferry" "$src/benchmarks/mpi_coll.c" || die "$build/mpicc failed"
impls=ferry
case ,$peers, in ,, | ,openmpi, | ,mpich, | ,openmpi,mpich, | ,mpich,openmpi, | ,none,) ;;
*) bad_usage "-p wants openmpi, mpich or both (or none), not '$peers'" ;;
esac
[ -z "$rt" ] || chrt -r 1 true 2>/dev/null || die "-R: chrt -r 1 is not allowed here"
# A job, under the time limit, at real-time priority with -R.
job() {
    if [ -n "$rt" ]; then timeout 600 chrt -r 1 "$@"; else timeout 600 "$@"; fi
}
for peer in $(echo "$peers" | tr ',' ' '); do
    [ "$peer" != none ] || continue
    if command -v "mpicc.$peer" >/dev/null 2>&1 &&
        "mpicc.$peer" -O2 -o "$work/coll.$peer" "$src/benchmarks/mpi_coll.c" 2>"$work/cc.err"; then
        impls="$impls $peer"
    else
        echo "note: $peer left out (mpicc.$peer missing or failed)" >&2
    fi
done
root_flag=
[ "$(id -u)" != 0 ] || root_flag=--allow-run-as-root

launch() { # impl n
    case $1 in
    ferry) job "$build/mpirun" -n "$2" "$work/coll.ferry" -c "$colls" -m "$range" ;;
    openmpi) job mpirun.openmpi $root_flag --oversubscribe -n "$2" "$work/coll.openmpi" \
        -c "$colls" -m "$range" ;;
    mpich) job mpiexec.mpich -n "$2" "$work/coll.mpich" -c "$colls" -m "$range" ;;
    esac
}

for n in $(echo "$ranks" | tr ',' ' '); do
    : >"$work/all.$n"
    for rep in $(seq "$reps"); do
        for impl in $impls; do
            out=$work/run.$impl.$n.$rep
            if launch "$impl" "$n" >"$out" 2>"$out.err"; then
                awk -v i="$impl" '{ print i, $1, $2, $3 }' "$out" >>"$work/all.$n"
            else
                echo "note: $impl on $n ranks, run $rep failed: $(head -c 300 "$out.err")" >&2
            fi
            [ -z "$keep" ] || cp "$out" "$keep/"
        done
    done
    echo "== $n ranks: microseconds per call, median [min-max] of $reps runs"
    # One row per (collective, size): each implementation's median and
    # spread, and Ferry over the best peer.
    sort -k2,2 -k3,3n -k1,1 "$work/all.$n" | awk -v impls="$impls" '
        function median(list,   a, m, i, j, t) {
            m = split(list, a, " ")
            for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
                if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
            lo[0] = a[1]; hi[0] = a[m]
            return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
        }
        { key = $2 " " $3; if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
          v[key, $1] = v[key, $1] " " $4 }
        END {
            ni = split(impls, im, " ")
            printf "%-10s %8s", "coll", "size"
            for (i = 1; i <= ni; i++) printf " %24s", im[i]
            printf " %8s\n", "ratio"
            for (k = 1; k <= nk; k++) {
                split(keys[k], kk, " ")
                printf "%-10s %8s", kk[1], kk[2]
                best = -1
                for (i = 1; i <= ni; i++) {
                    if (v[keys[k], im[i]] == "") { printf " %24s", "-"; continue }
                    m = median(v[keys[k], im[i]])
                    med[i] = m
                    printf " %9.2f [%6.2f-%6.2f]", m, lo[0], hi[0]
                    if (i > 1 && (best < 0 || m < best)) best = m
                }
                if (best > 0 && v[keys[k], im[1]] != "") printf " %8.2f\n", med[1] / best
                else printf " %8s\n", "-"
            }
        }'
done
