#!/bin/sh
# local-exec.sh after a pause: ferryrun waits for this agent (and keeps its
# port open) meanwhile, so a test can knock on that port.
sleep 2
shift
exec "$@"
