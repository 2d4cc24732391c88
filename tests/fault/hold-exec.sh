#!/bin/sh
# A launcher command for fault tests: --launcher-exec "hold-exec.sh GATE"
# runs "hold-exec.sh GATE HOST ferryd ...", waits until the file GATE.HOST
# exists (at most 30 s), then runs the agent right here as local-exec.sh
# does. Meanwhile the launcher that started it keeps its port open for
# this agent, so a test can knock on that port as long as it likes.
gate=$1.$2
shift 2
i=0
while [ ! -e "$gate" ] && [ "$i" -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
done
exec "$@"
