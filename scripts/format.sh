#!/usr/bin/env bash
# Lays out every Swift file as .swift-format says; scripts/test.sh fails on any file that differs.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format format --in-place --recursive Sources Tests Package.swift
