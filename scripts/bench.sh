#!/usr/bin/env bash
# Builds release and benchmarks np = 1, 2, 4 (see scripts/bench.py --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build tests  # gcc for the GEMM floor
scripts/get-data.sh >/dev/null
swift build -c release 2>&1 | grep -E "error|warning: " || true
exec python3 scripts/bench.py "$@"
