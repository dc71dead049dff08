#!/usr/bin/env bash
# The full test suite: builds the SBF program, then runs every workspace test
# against target/deploy/margin.so in the embedded SVM.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

scripts/build-sbf.sh
cargo test --workspace --locked
