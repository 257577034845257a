#!/usr/bin/env bash
# Installs the Debian packages of the named groups that are missing:
#   scripts/install-deps.sh [--list] [build] [download] [tests]     (default: build)
#   build     what building and training need: the libraries Package.swift links, mpirun, pkg-config
#   download  curl, for scripts/get-data.sh when it fetches MNIST from the public mirrors
#   tests     what only the tests and benchmarks use (Python's packages come from Tests/python/requirements.txt)
# With --list, prints the groups' packages instead of installing them.
set -euo pipefail
build=(libopenmpi-dev openmpi-bin libopenblas-dev zlib1g-dev libssl-dev libhdf5-dev pkg-config)
download=(curl ca-certificates)
# Test hosts in network namespaces (ethtool turns off their links' segmentation offload), a
# local download server, the Fashion-MNIST files, a Slurm cluster, a C compiler for the GEMM
# floor and the allocation counter, and an aarch64 cross compiler with its C library's headers (only a recommendation of the compiler, so named here:
# this script installs no recommendations) that checks the C kernels build there.
tests=(iproute2 ethtool curl dataset-fashion-mnist slurm-wlm munge gcc libc6-dev gdb gcc-aarch64-linux-gnu
    libc6-dev-arm64-cross)

list=0
[ "${1:-}" = --list ] && { list=1; shift; }
[ $# -eq 0 ] && set -- build
packages=()
for group in "$@"; do
    case "$group" in
        build) packages+=("${build[@]}") ;;
        download) packages+=("${download[@]}") ;;
        tests) packages+=("${tests[@]}") ;;
        *) echo "install-deps: unknown group $group (build, download, tests)" >&2; exit 2 ;;
    esac
done
if [ $list -eq 1 ]; then printf '%s\n' "${packages[@]}" | sort -u; exit 0; fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
