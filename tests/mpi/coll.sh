#!/bin/sh
# Collectives against hand-computed references on communicators of sizes
# 1 to 5 (and a reordered split), with the default algorithms and with each
# algorithm forced through FERRY_COLL_<NAME>, on one node and over three
# hosts.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
run_mpi coll 5

# Every algorithm at least once: each line forces one per family (counts
# up to 1000: enough for every algorithm to apply).
while read -r vars; do
    # shellcheck disable=SC2086 # a list of assignments
    env COLL_QUICK=1 $vars sh -c '. "$top_srcdir/tests/mpi/lib.sh"; run_mpi coll 5' ||
        fail "with $vars"
done <<EOF
FERRY_COLL_BARRIER=node_aware FERRY_COLL_BCAST=scatter_allgather FERRY_COLL_REDUCE=node_aware FERRY_COLL_ALLREDUCE=rabenseifner FERRY_COLL_GATHER=linear FERRY_COLL_SCATTER=linear FERRY_COLL_ALLGATHER=bruck FERRY_COLL_ALLTOALL=pairwise FERRY_COLL_REDUCE_SCATTER=reduce_scatterv FERRY_COLL_SCAN=linear
FERRY_COLL_BCAST=node_aware FERRY_COLL_REDUCE=binomial FERRY_COLL_ALLREDUCE=ring FERRY_COLL_GATHER=binomial FERRY_COLL_SCATTER=binomial FERRY_COLL_ALLGATHER=ring FERRY_COLL_ALLTOALL=linear FERRY_COLL_REDUCE_SCATTER=ring
FERRY_COLL_BCAST=binomial FERRY_COLL_REDUCE=ring FERRY_COLL_ALLREDUCE=flat FERRY_COLL_ALLGATHER=recursive_doubling FERRY_COLL_ALLTOALL=bruck
EOF

# Across three hosts (their agents started right here by local-exec.sh, so
# no privilege is needed): ranks of a host share memory, hosts talk through
# libfabric, and the node-aware algorithms meet a real layout, ranks dealt
# by slot and round-robin.
L="--launcher-exec $top_srcdir/tests/multinode/local-exec.sh"
for map in slot node; do
    # shellcheck disable=SC2086 # a list of options
    run_job 240 --host localhost:2,nodeB:2,nodeC:1 --map-by $map $L "$MPI_PROGS/coll"
    expect_rc 0
    expect_out "^coll: PASS$"
done
COLL_QUICK=1 FERRY_COLL_BARRIER=node_aware FERRY_COLL_BCAST=node_aware \
    FERRY_COLL_REDUCE=node_aware FERRY_COLL_ALLREDUCE=node_aware run_job 240 --host localhost:2,nodeB:2,nodeC:1 --map-by node \
    $L "$MPI_PROGS/coll"
expect_rc 0
expect_out "^coll: PASS$"
expect_no_leftovers "$MPI_PROGS/coll"

# A name that is no algorithm is reported and the default used.
FERRY_COLL_ALLREDUCE=fastest run_job 60 -n 2 "$MPI_PROGS/coll"
expect_rc 0
expect_err "FERRY_COLL_ALLREDUCE=fastest is not an algorithm (recursive_doubling, rabenseifner, ring, node_aware, flat)"
exit 0
