#!/usr/bin/env bash
# The project's whole test suite, from a fresh clone: installs the Debian packages (the build's
# and the tests'), builds the release binary the system tests run under mpirun, fetches and
# verifies the data, runs the unit tests, the system tests, the fuzzers (briefly) and the
# sanitizer runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each stage says when it starts (seconds since the start), so a slow one shows in CI's log.
stage() { echo "== test.sh: $* (at ${SECONDS} s)"; }
stage layout
# Layout first: it takes a second (configuration in .swift-format; fix with scripts/format.sh).
swift format lint --strict --recursive Sources Tests Package.swift
stage Debian packages
scripts/install-deps.sh build tests
# NumPy, safetensors, onnx, onnxruntime, Keras (on JAX), h5py and TensorBoard from PyPI (the
# interoperability tests check our files with them) and the data, fetched while we compile.
stage builds, with PyPI packages and data fetched meanwhile
fetched="$(mktemp)"
(python3 -m pip install --quiet --disable-pip-version-check -r Tests/python/requirements.txt && scripts/get-data.sh) > "$fetched" 2>&1 &
fetching=$!
swift build -c release
swift build --build-tests
wait "$fetching" || { cat "$fetched"; echo "test.sh: fetching the PyPI packages or the data failed"; exit 1; }
cat "$fetched"
# Fast in-process unit tests first (in parallel), then the system tests one at a time: they
# run several mpirun jobs and time some of them. Each stage has a deadline (several times its
# usual length) past which scripts/deadline.sh prints every thread's stack and fails it.
stage unit tests
scripts/deadline.sh 600 swift test --skip-build --filter MNISTMPITests "$@"
# The sanitizer and fuzzing builds need only the CPU the system tests leave idle (they wait on
# timeouts, daemons and links much of the time): built meanwhile at the lowest priority, each
# in its own scratch directory.
prebuilt="$(mktemp)"
(nice -n 19 scripts/sanitize.sh address --build-only && nice -n 19 scripts/sanitize.sh thread --build-only \
    && nice -n 19 scripts/fuzz.sh build) > "$prebuilt" 2>&1 &
prebuilding=$!
stage system tests, with the sanitizer and fuzzing builds at idle priority
scripts/deadline.sh 1800 swift test --skip-build --no-parallel --filter SystemTests "$@"
stage waiting for the sanitizer and fuzzing builds
wait "$prebuilding" || { cat "$prebuilt"; echo "test.sh: a sanitizer or fuzzing build failed"; exit 1; }
# Every parser of outside bytes under libFuzzer + ASan for a bounded time, then the unit tests
# and a short job with every subcommand under AddressSanitizer and ThreadSanitizer.
stage fuzzing
scripts/deadline.sh 1200 scripts/fuzz.sh all "${FUZZ_SECONDS:-20}"
stage AddressSanitizer
scripts/deadline.sh 1200 scripts/sanitize.sh address
stage ThreadSanitizer
scripts/deadline.sh 1200 scripts/sanitize.sh thread
stage done
