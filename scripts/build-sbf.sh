#!/usr/bin/env bash
# Builds the on-chain program as SBF (v0) and puts it at target/deploy/margin.so.
# Idempotent: installs the pinned nightly toolchain and sbpf-linker only when missing.
# (Users with the Solana CLI can instead run `cargo build-sbf --manifest-path
# programs/margin/program/Cargo.toml`; the crate builds there unchanged.)
set -euo pipefail

NIGHTLY="nightly-2026-08-21"
SBPF_LINKER_VERSION="0.2.6"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! rustup toolchain list | grep -q "^${NIGHTLY}"; then
    echo ">> installing ${NIGHTLY}"
    rustup toolchain install "$NIGHTLY" --profile minimal -c rust-src
elif ! rustup component list --toolchain "$NIGHTLY" --installed | grep -q '^rust-src'; then
    rustup component add rust-src --toolchain "$NIGHTLY"
fi

if ! command -v sbpf-linker >/dev/null 2>&1 || ! sbpf-linker --version 2>/dev/null | grep -q "$SBPF_LINKER_VERSION"; then
    echo ">> installing sbpf-linker ${SBPF_LINKER_VERSION} (takes a few minutes)"
    cargo +"$NIGHTLY" install sbpf-linker --locked --version "$SBPF_LINKER_VERSION"
fi

export CARGO_TARGET_BPFEL_UNKNOWN_NONE_LINKER=sbpf-linker
export RUSTFLAGS="-C link-arg=--arch=v0 -C link-arg=--llvm-args=-bpf-stack-size=4096 -C llvm-args=-bpf-stack-size=4096"
cargo +"$NIGHTLY" build \
    --release \
    --target bpfel-unknown-none \
    -Zbuild-std=core,alloc \
    -p margin-program \
    --lib 2>&1 | grep -v "unable to open LLVM shared lib" || true

SO="target/bpfel-unknown-none/release/libmargin.so"
if [ ! -f "$SO" ] || [ "$SO" -ot programs/margin/program/src/lib.rs ]; then
    echo "build failed: $SO missing or stale" >&2
    exit 1
fi
mkdir -p target/deploy
cp "$SO" target/deploy/margin.so
echo ">> target/deploy/margin.so ($(stat -c %s target/deploy/margin.so) bytes)"
