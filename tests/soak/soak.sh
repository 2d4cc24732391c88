#!/bin/sh
# make soak: the soak program for MINUTES on RANKS ranks, on this host or,
# with HOSTS > 1, spread over that many hosts made of network namespaces
# (root and ip needed; addresses 10.78.0.x exist only inside them), so
# traffic crosses both shared memory and the fabric. The namespaces go away
# whatever happens. Usage: soak.sh MINUTES RANKS HOSTS [soak options]
minutes=${1:?minutes} ranks=${2:?ranks} hosts=${3:-1}
shift 3 2>/dev/null || shift $#
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=.}"
FERRYRUN="$top_builddir/ferryrun"
SOAK="$top_builddir/tests/soak/soak"
secs=$((minutes * 60))
limit=$((secs + 300))

if [ "$hosts" -le 1 ]; then
    exec "$FERRYRUN" --timeout "$limit" -n "$ranks" "$SOAK" -t "$secs" "$@"
fi
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null 2>&1; then
    echo "soak: HOSTS > 1 needs root and ip (iproute2) to make network namespaces" >&2
    exit 2
fi
. "$top_srcdir/tests/multinode/nethosts.sh"
PFX="fsoak$$-"
NET=10.78.0
trap 'nethosts_down "$PFX" "$hosts"' EXIT
trap 'exit 1' INT TERM HUP
nethosts_up "$PFX" "$NET" "$hosts" || { echo "soak: cannot make the namespace hosts" >&2; exit 1; }
slots=$(((ranks + hosts - 1) / hosts))
list=""
h=1
while [ "$h" -le "$hosts" ]; do
    list="$list${list:+,}$NET.$h:$slots"
    h=$((h + 1))
done
ip netns exec "${PFX}1" "$FERRYRUN" --timeout "$limit" --host "$list" --map-by node -n "$ranks" \
    "--launcher-exec=$top_srcdir/tests/multinode/netns-exec.sh $PFX" "$SOAK" -t "$secs" "$@"
