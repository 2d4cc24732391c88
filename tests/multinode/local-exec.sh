#!/bin/sh
# A launcher command for tests without hosts: --launcher-exec runs
# "local-exec.sh HOST ferryd ...", and this runs the agent right here, as if
# HOST were another node (the job tells nodes apart by FERRY_NODE_ID).
shift
exec "$@"
