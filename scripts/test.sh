#!/usr/bin/env bash
# The full test suite: format and lint gate, builds the SBF program, runs every workspace test against
# target/deploy/margin.so in the embedded SVM, then the standalone legacy-Pyth
# conformance crate (its own lockfile: it needs solana-program 1.18).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Tools first (rustfmt, clippy and the wasm target are used before the SBF build).
scripts/install-tools.sh

# Format and lint gate (cheap: the program and interface crates have small
# dependency trees; clippy artifacts live beside the test build's).
cargo fmt --all --check
cargo clippy --locked -p margin-interface -p margin-program --all-targets -- -D warnings
scripts/check-client-core.sh
scripts/build-sbf.sh
# The same bytes from two clean builds (what `margin program verify` relies on).
scripts/verify-build.sh
# The TypeScript client generated from idl/margin.json: fresh, compiles, and
# drives the .so in LiteSVM (client/ts/test); npm test first builds the wasm
# health cache (client/wasm, client/ts/scripts/build-wasm.sh) and checks it
# against the program's `health` instruction.
(cd client/ts && npm ci --no-audit --no-fund && npm test)
cargo test --workspace --locked
cargo test --locked --manifest-path conformance/pyth-legacy/Cargo.toml --target-dir target/conformance
