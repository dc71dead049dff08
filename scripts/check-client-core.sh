#!/usr/bin/env bash
# The SDK crate (margin-client) stays light enough for a dApp: its dependency tree
# holds no runtime, RPC, async or test-validator crate, and it builds for
# wasm32-unknown-unknown (browsers).
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
