#!/usr/bin/env bash
# Compute units per instruction, measured in the SVM on the real .so; prints a
# table and writes target/bench/compute-units.json. Then the off-chain liquidator
# bench (index vs full rescan, 100,000 accounts, dev profile as built here):
# target/bench/offchain.json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/build-sbf.sh
cargo run --locked -q -p margin-tests --bin bench
