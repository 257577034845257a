#!/usr/bin/env bash
# The project's whole test suite, from a fresh clone: installs the Debian packages, builds the
# release binary the integration tests run under mpirun, fetches and verifies the data, runs
# `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/get-data.sh
swift build -c release
swift test "$@"
