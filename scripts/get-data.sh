#!/usr/bin/env bash
# Puts the four MNIST files (gzip) into data/ (or $1), verifying each against data/SHA256SUMS
# (the official SHA-256 of the decompressed IDX files). Sources, in order:
#   1. $MNIST_MIRROR: a directory or an http(s) base URL holding the .gz files;
#   2. ../shared/data/mnist beside this repository (how our CI provides them offline);
#   3. the public mirrors.
# With MNIST_NO_FALLBACK=1 only $MNIST_MIRROR is tried. MNIST_FETCH_TIMEOUT (default 60) bounds
# each download in seconds; a server sending under 1 KiB/s for 15 s is given up on too.
# A file that fails its checksum is never left in the target directory.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
target="${1:-$repo/data}"
sums="$repo/data/SHA256SUMS"
files=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
sources=()
[ -n "${MNIST_MIRROR:-}" ] && sources+=("$MNIST_MIRROR")
if [ "${MNIST_NO_FALLBACK:-0}" != 1 ]; then
    [ -d "$repo/../shared/data/mnist" ] && sources+=("$(cd "$repo/../shared/data/mnist" && pwd)")
    sources+=(https://ossci-datasets.s3.amazonaws.com/mnist https://storage.googleapis.com/cvdf-datasets/mnist)
fi
timeout="${MNIST_FETCH_TIMEOUT:-60}"

mkdir -p "$target"
tmp="$(mktemp -d "$target/.download.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

expected() { awk -v f="$1" '$2 == f || $2 == "*"f {print $1}' "$sums"; }

# verify FILE.gz NAME: the decompressed bytes must have the official checksum.
verify() {
    local actual
    actual="$(gzip -dc "$1" 2>/dev/null | sha256sum | cut -d' ' -f1)" || return 1
    [ "$actual" = "$(expected "$2")" ]
}

# fetch SOURCE NAME DEST: copy or download SOURCE/NAME.gz to DEST.
fetch() {
    case "$1" in
        http://*|https://*)
            command -v curl >/dev/null || "$repo/scripts/install-deps.sh" download
            local status=0
            curl -fsSL --connect-timeout 10 --max-time "$timeout" --speed-limit 1024 --speed-time 15 \
                -o "$3" "$1/$2.gz" 2>/dev/null || status=$?
            [ "$status" -eq 0 ] || echo "get-data: $1/$2.gz: download failed (curl exit $status$([ "$status" -eq 28 ] && echo ', timed out'))" >&2
            return "$status" ;;
        *) [ -f "$1/$2.gz" ] && cp "$1/$2.gz" "$3" && chmod 644 "$3" ;;
    esac
}

for name in "${files[@]}"; do
    if [ -f "$target/$name.gz" ] && verify "$target/$name.gz" "$name"; then
        continue
    fi
    got=""
    for source in "${sources[@]}"; do
        if fetch "$source" "$name" "$tmp/$name.gz"; then
            if verify "$tmp/$name.gz" "$name"; then
                mv "$tmp/$name.gz" "$target/$name.gz"
                got="$source"
                break
            fi
            echo "get-data: $source/$name.gz does not match the official checksum; ignored" >&2
        fi
        rm -f "$tmp/$name.gz"
    done
    if [ -z "$got" ]; then
        echo "get-data: could not get $name.gz from any of: ${sources[*]}." >&2
        echo "get-data: put the four MNIST .gz files in a directory and run: MNIST_MIRROR=/that/dir $0" >&2
        exit 1
    fi
    echo "get-data: $name.gz from $got (checksum ok)"
done
