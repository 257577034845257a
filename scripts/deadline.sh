#!/usr/bin/env bash
# Usage: scripts/deadline.sh SECONDS COMMAND [ARGS...]
# Runs COMMAND. If it is still running after SECONDS, prints the stack of every thread of it and
# of its descendants (gdb), kills them all and exits 124: a hang in CI becomes a diagnosis within
# minutes instead of a job stopped at its time limit with nothing to show for it.
set -uo pipefail
limit=$1
shift
"$@" &
pid=$!
descendants() {
    local child
    for child in $(pgrep -P "$1"); do
        echo "$child"
        descendants "$child"
    done
}
for ((waited = 0; waited < limit; waited++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
done
if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid"
    exit $?
fi
echo "deadline: '$*' still running after $limit s; the stacks of its processes follow" >&2
tree=("$pid" $(descendants "$pid"))
for p in "${tree[@]}"; do
    echo "== process $p: $(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)" >&2
    gdb -p "$p" -batch -ex "thread apply all bt" 2>/dev/null | grep -E '^(Thread|#)' >&2
done
kill -9 "${tree[@]}" 2>/dev/null
wait "$pid" 2>/dev/null
exit 124
