#!/usr/bin/env bash
# Reproducible build: builds the program twice from clean (two fresh target
# directories) and checks both .so files have the same SHA-256, which it prints.
# A deployed program is checked against a build with
# `margin program verify target/deploy/margin.so --program-id ADDR --rpc-url URL --keypair PATH`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
hashes=()
for run in a b; do
    dir="target/reproducible-$run"
    rm -rf "$dir"
    CARGO_TARGET_DIR="$dir" scripts/build-sbf.sh >/dev/null
    hashes+=("$(sha256sum "$dir/bpfel-unknown-none/release/libmargin.so" | cut -d' ' -f1)")
done
if [ "${hashes[0]}" != "${hashes[1]}" ]; then
    echo "not reproducible: ${hashes[0]} vs ${hashes[1]}" >&2
    exit 1
fi
echo ">> reproducible: margin.so sha256 ${hashes[0]} (two clean builds)"
