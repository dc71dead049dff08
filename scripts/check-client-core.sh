#!/usr/bin/env bash
# The SDK crate (margin-client) stays light enough for a dApp: its dependency tree
# holds no runtime, RPC, async or test-validator crate, and it builds for
# wasm32-unknown-unknown (browsers); margin-wasm, its health cache for JavaScript,
# adds wasm-bindgen and nothing else.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

tree="$(cargo tree --locked -p margin-client -e normal --prefix none)"
forbidden="$(grep -E '^(solana-program-test|solana-runtime|solana-svm|solana-bpf-loader-program|agave-[a-z-]+|tokio|solana-rpc-client[a-z-]*|solana-test-validator|solana-sdk|getrandom) ' <<<"$tree" | sort -u || true)"
if [ -n "$forbidden" ]; then
    echo "margin-client must not depend on:" >&2
    echo "$forbidden" >&2
    exit 1
fi
echo ">> margin-client: $(sort -u <<<"$tree" | wc -l) crates, none of them runtime, RPC or async"
cargo build --locked --quiet --target wasm32-unknown-unknown -p margin-client
echo ">> margin-client builds for wasm32-unknown-unknown"

# margin-wasm (client/wasm) is marshaling over margin-client: wasm-bindgen is its
# only other dependency (its wasm32 build is client/ts/scripts/build-wasm.sh's).
direct="$(cargo tree --locked -p margin-wasm -e normal --depth 1 --prefix none | tail -n +2 | cut -d' ' -f1 | sort)"
if [ "$direct" != "$(printf 'margin-client\nwasm-bindgen')" ]; then
    echo "margin-wasm may depend on margin-client and wasm-bindgen only, not:" >&2
    echo "$direct" >&2
    exit 1
fi
echo ">> margin-wasm: margin-client and wasm-bindgen only"
