#!/usr/bin/env bash
# Installs what building the SBF program needs, only when missing:
# the pinned nightly toolchain (with rust-src) and the pinned sbpf-linker.
set -euo pipefail

NIGHTLY="nightly-2026-08-21"
SBPF_LINKER_VERSION="0.2.6"

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
