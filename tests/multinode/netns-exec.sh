#!/bin/sh
# A launcher command for tests over network namespaces: --launcher-exec
# "netns-exec.sh PREFIX" runs "netns-exec.sh PREFIX HOST ferryd ...", and
# this runs the agent in namespace PREFIX<last number of HOST's address>.
prefix=$1
host=$2
shift 2
exec ip netns exec "$prefix${host##*.}" "$@"
