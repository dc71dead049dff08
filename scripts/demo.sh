#!/usr/bin/env bash
# The main job: builds the SBF program and runs the demo on the embedded SVM.
# Extra arguments go to the demo (see `margin demo --help`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

scripts/build-sbf.sh
cargo run --locked --release -p margin-ops --bin margin -- demo "$@"
