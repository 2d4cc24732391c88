#!/bin/sh
# Install what building and testing Ferry needs on Debian 12 (or Ubuntu).
# Usage: sh tools/install-deps.sh [--peers]   (--peers adds Open MPI and MPICH
# for the comparison benchmarks)
set -e
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
PKGS="build-essential autoconf automake libtool pkg-config libhwloc-dev libfabric-dev libcunit1-dev procps iproute2"
[ "${1:-}" = "--peers" ] && PKGS="$PKGS openmpi-bin libopenmpi-dev mpich libmpich-dev"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $PKGS >/dev/null
echo "install-deps: installed $PKGS"
