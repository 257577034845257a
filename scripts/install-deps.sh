#!/usr/bin/env bash
# Installs the Debian packages mnist-mpi builds and runs with, if any is missing.
set -euo pipefail
packages=(libopenmpi-dev openmpi-bin libopenblas-dev zlib1g-dev pkg-config iproute2 curl dataset-fashion-mnist slurm-wlm munge gcc libc6-dev)
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
