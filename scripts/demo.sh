#!/usr/bin/env bash
# The main job: builds the SBF program and runs the demo on the embedded SVM.
# Extra arguments go to the demo (see `margin demo --help`).
# The dev profile on purpose: it optimizes every dependency (opt-level 2, see the
# workspace Cargo.toml), where the demo spends its time (the SVM running the
# .so), and shares its dependency builds with `cargo build`/`cargo run` of the
# ops crate; `--release` would add a second cold build of the whole Agave tree
# with fat LTO for a run that takes about a second either way.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

scripts/build-sbf.sh
cargo run --locked -p margin-ops --bin margin -- demo "$@"
