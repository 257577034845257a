#!/usr/bin/env bash
# Step time of the tutorial on emulated clusters (scripts/netns/hosts.sh), per layout and
# strategy, with the bytes each step sends over host h1's link:
#   scripts/netns/bench.sh [--rates "none 1gbit"] [--hosts "1 2 3 4"] [--per-host "1 2 3"] [--steps 100]
#                          [--repeat 3] [--variants "flat hierarchical bf16"]
# (1 host: the ranks all on h1, the one-node step the link bound adds to.) Variants: flat (our
# allreduce with OpenMPI's own choice of algorithm), hierarchical, bf16 (hierarchical with
# bfloat16 on the wire), factored, factored-bf16, auto (what --reduction auto takes, measuring
# at start-up), and flat-<algorithm>: the allreduce with coll_tuned's algorithm forced,
# one of linear, nonoverlapping, recursive-doubling, ring, segmented-ring, rabenseifner.
# A run's step time is its steady state: rank 0's mean step after the first 5 (which set up
# connections and fault in pages). Each layout runs its variants back to back, --repeat times
# over (interleaved); a row has the median run and the fastest and slowest.
# Prints one CSV line per layout and variant:
#   rate,hosts,per_host,mapping,variant,reduction,ms_per_step,tx_bytes_per_step,ms_min,ms_max
# Needs root and a release build.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
rates="none 1gbit"; hosts="1 2 3 4"; perhost="1 2 3"; steps=100; repeat=3; variants="flat hierarchical bf16"
while [ $# -gt 0 ]; do
    case "$1" in
        --rates) rates="$2"; shift 2 ;;
        --hosts) hosts="$2"; shift 2 ;;
        --per-host) perhost="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        --repeat) repeat="$2"; shift 2 ;;
        --variants) variants="$2"; shift 2 ;;
        *) echo "bench.sh: unknown argument $1" >&2; exit 64 ;;
    esac
done
# A variant's mpirun flags and mnist-mpi flags, as "MPIRUN|MNIST_MPI".
flags_of() {
    case "$1" in
        flat) echo "|--reduction allreduce" ;;
        hierarchical) echo "|--reduction hierarchical" ;;
        bf16) echo "|--reduction hierarchical --wire-precision bfloat16" ;;
        factored) echo "|--reduction factored" ;;
        factored-bf16) echo "|--reduction factored --wire-precision bfloat16" ;;
        auto) echo "|--reduction auto" ;;
        flat-*)
            local names=(linear nonoverlapping recursive-doubling ring segmented-ring rabenseifner) i
            for i in "${!names[@]}"; do
                if [ "flat-${names[$i]}" = "$1" ]; then
                    echo "--mca coll_tuned_use_dynamic_rules 1 --mca coll_tuned_allreduce_algorithm $((i + 1))|--reduction allreduce"
                    return
                fi
            done
            echo "bench.sh: unknown variant $1" >&2; exit 64 ;;
        *) echo "bench.sh: unknown variant $1" >&2; exit 64 ;;
    esac
}
for variant in $variants; do flags_of "$variant" > /dev/null; done
[[ "$repeat" =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: --repeat must be a positive whole number, not '$repeat'" >&2; exit 64; }
[[ "$steps" =~ ^[0-9]+$ ]] && [ "$steps" -ge 10 ] || { echo "bench.sh: --steps must be a whole number of at least 10, not '$steps'" >&2; exit 64; }
out="$(mktemp -d)"
trap 'rm -rf "$out"; "$here/hosts.sh" down' EXIT
counter() { ip netns exec mnist-h1 cat /sys/class/net/mnist-veth1/statistics/tx_bytes; }
run() {  # run N_RANKS PER_HOST "MPIRUN_FLAGS" STEPS FLAGS... -> "ms_per_step tx_bytes reduction"
    local np=$1 per=$2 mapping=$3 n=$4; shift 4
    local before; before=$(counter)
    RANKS_PER_HOST=$per "$here/mpirun.sh" -np "$np" $mapping "$repo/.build/release/mnist-mpi" --data-dir "$repo/data" \
        --max-steps "$n" --history "$out/h.json" --profile "$out/trace.json" "$@" > "$out/log" 2>&1 || {
        tail -3 "$out/log" >&2; echo "nan nan nan"; return; }
    python3 - "$out" "$(( $(counter) - before ))" <<'PY'
import json, sys
out, tx = sys.argv[1], sys.argv[2]
starts = sorted(e["ts"] for e in json.load(open(out + "/trace.json"))["traceEvents"]
                if e.get("ph") == "X" and e["pid"] == 0 and e["name"] == "load")
first = min(5, len(starts) - 2)
print((starts[-1] - starts[first]) / (len(starts) - 1 - first) / 1000, tx, json.load(open(out + "/h.json"))["reduction"])
PY
}
echo "rate,hosts,per_host,mapping,variant,reduction,ms_per_step,tx_bytes_per_step,ms_min,ms_max"
for rate in $rates; do
    for n in $hosts; do
        up=$(( n > 1 ? n : 2 ))
        if [ "$rate" = none ]; then "$here/hosts.sh" up "$up"; else "$here/hosts.sh" up "$up" --rate "$rate"; fi
        for per in $perhost; do
            mappings=("")
            [ "$per" -gt 1 ] && [ "$n" -gt 1 ] && mappings+=("--map-by node")
            for mapping in "${mappings[@]}"; do
                declare -A times=() bytes=() reductions=()
                for _ in $(seq "$repeat"); do
                    for name in $variants; do
                        both="$(flags_of "$name")"; launch="$mapping ${both%%|*}"; flags="${both#*|}"
                        read -r ms tx reductions[$name] < <(run $((n * per)) "$per" "$launch" "$steps" $flags)
                        times[$name]+="$ms "
                        if [ -z "${bytes[$name]:-}" ]; then
                            # Per-step bytes: two runs whose step counts differ, so start-up traffic cancels.
                            read -r _ tx_short _ < <(run $((n * per)) "$per" "$launch" $((steps / 5)) $flags)
                            bytes[$name]=$(python3 -c "print(round(($tx - $tx_short) / ($steps - $steps // 5)))" 2>/dev/null || echo nan)
                        fi
                    done
                done
                for name in $variants; do
                    stats=$(python3 -c "import sys, statistics as s; t = sorted(map(float, sys.argv[1:])); print(f'{s.median(t):.2f},{t[0]:.2f},{t[-1]:.2f}')" ${times[$name]})
                    IFS=, read -r ms lo hi <<< "$stats"
                    echo "$rate,$n,$per,${mapping:-slot},$name,${reductions[$name]},$ms,${bytes[$name]},$lo,$hi"
                done
                unset times bytes reductions
            done
        done
    done
done
