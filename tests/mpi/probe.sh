#!/bin/sh
# Probe then receive, Iprobe, matched probes (Mprobe/Mrecv, Improbe/Imrecv)
# from every rank at once.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/mpi/lib.sh"
run_mpi probe 2 4
exit 0
