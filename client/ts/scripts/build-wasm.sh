#!/usr/bin/env bash
# Builds client/wasm (margin-wasm: margin-client's health cache) for
# wasm32-unknown-unknown and writes its Node bindings (wasm-bindgen --target
# nodejs, CommonJS like this package) to client/ts/wasm/, mirrored to dist/wasm/
# where the compiled dist/src/health.js loads them from. Both are build output
# (gitignored). Needs the wasm32 target and wasm-bindgen-cli of the crate's
# wasm-bindgen version: scripts/install-tools.sh installs both.
set -euo pipefail
TS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROOT="$(cd "$TS/../.." && pwd)"
WASM_BINDGEN_VERSION="0.2.130" # = the wasm-bindgen pin in client/wasm/Cargo.toml

if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen ${WASM_BINDGEN_VERSION}" ]; then
    echo "build-wasm: wasm-bindgen ${WASM_BINDGEN_VERSION} is missing: run scripts/install-tools.sh" >&2
    exit 1
fi

cd "$ROOT"
cargo build --locked --release --target wasm32-unknown-unknown -p margin-wasm
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
rm -rf "$TS/wasm"
wasm-bindgen --target nodejs --out-dir "$TS/wasm" "$TARGET_DIR/wasm32-unknown-unknown/release/margin_wasm.wasm"
rm -rf "$TS/dist/wasm"
mkdir -p "$TS/dist"
cp -r "$TS/wasm" "$TS/dist/wasm"
echo ">> client/ts/wasm: margin-wasm bindings ($(wc -c <"$TS/wasm/margin_wasm_bg.wasm") bytes of wasm)"
