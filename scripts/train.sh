#!/usr/bin/env bash
# The tutorial from a fresh clone: installs what building and training need (and nothing the
# tests use) if missing, builds release, fetches the data, and trains with NP ranks (default 4):
#   scripts/train.sh [mnist-mpi flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
np="${NP:-4}"
scripts/install-deps.sh build
scripts/get-data.sh >/dev/null
swift build -c release 2>&1 | grep -v '^\[' || true
test -x .build/release/mnist-mpi
# scripts/mpirun.conf: a node whose link dies ends the job in seconds, not minutes.
launcher=(mpirun --tune scripts/mpirun.conf -np "$np")
# mpirun refuses to run as root without these; and more ranks than cores needs --oversubscribe.
[ "$(id -u)" -eq 0 ] && launcher+=(--allow-run-as-root)
[ "$np" -gt "$(nproc)" ] && launcher+=(--oversubscribe)
echo "+ ${launcher[*]} .build/release/mnist-mpi $*"
exec "${launcher[@]}" .build/release/mnist-mpi "$@"
