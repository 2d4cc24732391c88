# Hosts made of network namespaces on this machine, for the multi-node
# tests, the soak and the benchmarks: PREFIX1 .. PREFIXn, each with an eth0
# at NET.i/24 joined by a bridge in PREFIXsw. The addresses exist only
# inside these namespaces. Needs root and ip (iproute2).

# nethosts_up PREFIX NET N: make them. Returns 2 when this machine cannot
# make a namespace at all (a test then skips), 1 when a later step fails;
# either way nethosts_down removes what was made.
nethosts_up() {
    local pfx=$1 net=$2 n=$3 h=1
    ip netns add "${pfx}sw" || return 2
    ip -n "${pfx}sw" link add br0 type bridge && ip -n "${pfx}sw" link set br0 up || return 1
    while [ "$h" -le "$n" ]; do
        ip netns add "$pfx$h" &&
            ip link add eth0 netns "$pfx$h" type veth peer name "p$h" netns "${pfx}sw" &&
            ip -n "$pfx$h" addr add "$net.$h/24" dev eth0 &&
            ip -n "$pfx$h" link set eth0 up &&
            ip -n "$pfx$h" link set lo up &&
            ip -n "${pfx}sw" link set "p$h" master br0 &&
            ip -n "${pfx}sw" link set "p$h" up || return 1
        h=$((h + 1))
    done
}

# nethosts_down PREFIX N: remove them (and their links), quietly.
nethosts_down() {
    local pfx=$1 n=$2 h=1
    while [ "$h" -le "$n" ]; do
        ip netns del "$pfx$h" 2>/dev/null || true
        h=$((h + 1))
    done
    ip netns del "${pfx}sw" 2>/dev/null || true
    return 0
}
