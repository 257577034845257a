#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser of outside bytes with libFuzzer + AddressSanitizer:
#   scripts/fuzz.sh [TARGET|all|build] [SECONDS per target]     (default: all, 60; build: only build)
# Targets run FUZZ_JOBS at a time (default: one per core; each fuzzer is single-threaded).
# Targets: idx gzip safetensors checkpoint png pgm zip keras hdf5 (Sources/mnist-mpi-fuzz/FuzzTarget.swift).
# Seeds: small valid files made by the replayer, real MNIST files, and every committed
# regression input (Tests/fuzz/<target>/). Corpora grow in .build-fuzz/corpus/<target>/; a
# crash is written to .build-fuzz/crash-<target>-*, and the script fails. Commit a crash input
# to Tests/fuzz/<target>/ once fixed: the unit tests replay all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
seconds="${2:-60}"
targets=(idx gzip safetensors checkpoint png pgm zip keras hdf5)
[ "$which" = all ] || targets=("$which")

# The fuzzing build has libFuzzer's main instead of ours; the seed writer is built normally.
swift build -c release --scratch-path .build-fuzz --product mnist-mpi-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld 2>&1 | grep -E "error|warning: " || true
fuzzer=.build-fuzz/release/mnist-mpi-fuzz
test -x "$fuzzer"
[ "$which" = build ] && exit 0
swift build -c release --product mnist-mpi-fuzz 2>&1 | grep -E "error|warning: " || true

corpus=.build-fuzz/corpus
seeds=.build-fuzz/seeds
rm -rf "$seeds"
.build/release/mnist-mpi-fuzz seed "$seeds"
data="${MNIST_DATA_DIR:-data}"
if [ -f "$data/t10k-labels-idx1-ubyte.gz" ]; then
    gzip -dc "$data/t10k-labels-idx1-ubyte.gz" > "$seeds/idx/t10k-labels"
    cp "$data/t10k-labels-idx1-ubyte.gz" "$seeds/gzip/t10k-labels.gz"
fi
gzip -nc "$seeds/idx/seed-0" > "$seeds/gzip/seed-0.gz"

# One fuzzer per core at a time (each is single-threaded); each prints its report when done.
fuzz_one() {
    local target="$1" extra=() report
    mkdir -p "$corpus/$target"
    [ -d "Tests/fuzz/$target" ] && extra+=("Tests/fuzz/$target")
    # A crash stalls in Swift's backtracer unless it is off; libFuzzer reports it instead.
    if SWIFT_BACKTRACE=enable=no FUZZ_TARGET="$target" "$fuzzer" "$corpus/$target" "$seeds/$target" "${extra[@]}" \
            -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=4096 -timeout=20 \
            -artifact_prefix=".build-fuzz/crash-$target-" -print_final_stats=1 > ".build-fuzz/$target.log" 2>&1; then
        report="fuzz: $target for ${seconds}s"$'\n'
        report+="$(grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|cov:" ".build-fuzz/$target.log" | tail -3)"$'\n'
        echo "${report}fuzz: $target corpus $(ls "$corpus/$target" | wc -l) files"
    else
        echo "fuzz: $target FAILED; see .build-fuzz/$target.log and .build-fuzz/crash-$target-*"
        tail -40 ".build-fuzz/$target.log"
        return 1
    fi
}
jobs="${FUZZ_JOBS:-$(nproc)}"
status=0
running=0
for target in "${targets[@]}"; do
    if [ "$running" -ge "$jobs" ]; then
        wait -n || status=1
        running=$((running - 1))
    fi
    fuzz_one "$target" &
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
    wait -n || status=1
    running=$((running - 1))
done
exit $status
