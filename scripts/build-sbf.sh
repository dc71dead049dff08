#!/usr/bin/env bash
# Builds the on-chain program as SBPF v3 and puts it at target/deploy/margin.so,
# and the swap test fixture (tests/fixtures/swap) at target/deploy/swap.so.
# v3, not v0: upstream LLVM passes a sixth argument above the caller's stack frame,
# which v0 only tolerates with SIMD-0460 (off on mainnet-beta); v3 frames are
# contiguous and v3 is live on mainnet-beta (docs/architecture.md, "SBPF version").
# Idempotent: installs the pinned nightly toolchain and sbpf-linker only when missing.
# (Users with the Solana CLI can instead run `cargo build-sbf --manifest-path
# programs/margin/program/Cargo.toml`; the crate builds there unchanged.)
set -euo pipefail

NIGHTLY="nightly-2026-08-21"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/install-tools.sh --without-wasm-bindgen

export CARGO_TARGET_BPFEL_UNKNOWN_NONE_LINKER=sbpf-linker
# `-A linker_messages`: sbpf-linker says on stderr that it cannot dlopen the
# nightly's libLLVM and uses its own LLVM (the build is fine); rustc would report
# that stderr as a `linker_messages` warning on every build.
# Reproducible across machines: the registry and toolchain paths that panic
# locations embed are remapped to fixed prefixes (workspace paths are relative
# already), so a build elsewhere gives the same bytes (scripts/verify-build.sh).
CARGO_HOME_DIR="${CARGO_HOME:-$HOME/.cargo}"
SYSROOT="$(rustc +"$NIGHTLY" --print sysroot)"
REMAP="--remap-path-prefix=${CARGO_HOME_DIR}=/cargo --remap-path-prefix=${SYSROOT}=/rust"
export RUSTFLAGS="$REMAP -C link-arg=--arch=v3 -C link-arg=--llvm-args=-bpf-stack-size=4096 -C llvm-args=-bpf-stack-size=4096 -C link-arg=--cpu-features=+allows-misaligned-mem-access -A linker_messages"
cargo +"$NIGHTLY" build \
    --release \
    --target bpfel-unknown-none \
    -Zbuild-std=core,alloc \
    -p margin-program \
    -p swap-fixture \
    --lib --locked
SO="${CARGO_TARGET_DIR:-target}/bpfel-unknown-none/release/libmargin.so"
if [ ! -f "$SO" ]; then
    echo "SBF build produced no $SO" >&2
    exit 1
fi
mkdir -p target/deploy
cp "$SO" target/deploy/margin.so
cp "${CARGO_TARGET_DIR:-target}/bpfel-unknown-none/release/libswap.so" target/deploy/swap.so
echo ">> target/deploy/margin.so ($(stat -c %s target/deploy/margin.so) bytes); target/deploy/swap.so (test fixture)"
