#!/bin/sh
# Collectives against hand-computed references on communicators of sizes
# 1 to 5 (and a reordered split), with the default algorithms and with each
# algorithm forced through FERRY_COLL_<NAME>.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
run_mpi coll 5

# Every algorithm at least once: each line forces one per family.
while read -r vars; do
    # shellcheck disable=SC2086 # a list of assignments
    env $vars sh -c '. "$top_srcdir/tests/mpi/lib.sh"; run_mpi coll 5' ||
        fail "with $vars"
done <<EOF
FERRY_COLL_BARRIER=node_aware FERRY_COLL_BCAST=scatter_allgather FERRY_COLL_REDUCE=node_aware FERRY_COLL_ALLREDUCE=rabenseifner FERRY_COLL_GATHER=linear FERRY_COLL_SCATTER=linear FERRY_COLL_ALLGATHER=bruck FERRY_COLL_ALLTOALL=pairwise FERRY_COLL_REDUCE_SCATTER=reduce_scatterv FERRY_COLL_SCAN=linear
FERRY_COLL_BCAST=node_aware FERRY_COLL_REDUCE=binomial FERRY_COLL_ALLREDUCE=ring FERRY_COLL_GATHER=binomial FERRY_COLL_SCATTER=binomial FERRY_COLL_ALLGATHER=ring FERRY_COLL_ALLTOALL=linear FERRY_COLL_REDUCE_SCATTER=ring
FERRY_COLL_BCAST=binomial FERRY_COLL_REDUCE=ring FERRY_COLL_ALLREDUCE=node_aware FERRY_COLL_ALLGATHER=recursive_doubling FERRY_COLL_ALLTOALL=bruck
EOF

# A name that is no algorithm is reported and the default used.
FERRY_COLL_ALLREDUCE=fastest run_job 60 -n 2 "$MPI_PROGS/coll"
expect_rc 0
expect_err "FERRY_COLL_ALLREDUCE=fastest is not an algorithm (recursive_doubling, rabenseifner, ring, node_aware)"
exit 0
