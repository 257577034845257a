#!/usr/bin/env bash
# The project's whole test suite, from a fresh clone: installs the Debian packages, builds the
# release binary the integration tests run under mpirun, fetches and verifies the data, runs
# `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# NumPy, safetensors, onnx and onnxruntime from PyPI: the interoperability tests use them.
python3 -m pip install --quiet --disable-pip-version-check -r Tests/python/requirements.txt
scripts/get-data.sh
swift build -c release
# One test at a time: the integration tests run several mpirun jobs and time some of them.
swift test --no-parallel "$@"
