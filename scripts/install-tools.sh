#!/usr/bin/env bash
# Installs what building and testing need, only when missing:
# the pinned nightly toolchain (with rust-src), rustfmt and clippy, the pinned
# sbpf-linker, the pinned wasm-bindgen-cli (not with --without-wasm-bindgen:
# scripts/build-sbf.sh, hence the demo, does not need it), libclang-dev.
set -euo pipefail

WITH_WASM_BINDGEN=1
[ "${1:-}" = "--without-wasm-bindgen" ] && WITH_WASM_BINDGEN=0

NIGHTLY="nightly-2026-08-21"
SBPF_LINKER_VERSION="0.2.6"
# = the wasm-bindgen pin in client/wasm/Cargo.toml (the CLI refuses other versions).
WASM_BINDGEN_VERSION="0.2.130"

# (Outputs are captured first: `grep -q` closing a pipe early would trip pipefail.)
toolchains="$(rustup toolchain list)"
if ! grep -q "^${NIGHTLY}" <<<"$toolchains"; then
    echo ">> installing ${NIGHTLY}"
    rustup toolchain install "$NIGHTLY" --profile minimal -c rust-src
elif ! grep -q '^rust-src' <<<"$(rustup component list --toolchain "$NIGHTLY" --installed)"; then
    rustup component add rust-src --toolchain "$NIGHTLY"
fi

# The lint gate in scripts/test.sh runs rustfmt and clippy on the default toolchain.
installed="$(rustup component list --installed)"
for component in rustfmt clippy; do
    if ! grep -q "^${component}" <<<"$installed"; then
        rustup component add "$component"
    fi
done

# scripts/check-client-core.sh builds the SDK for browsers.
if ! grep -q '^wasm32-unknown-unknown' <<<"$(rustup target list --installed)"; then
    rustup target add wasm32-unknown-unknown
fi

linker_version="$(sbpf-linker --version 2>/dev/null || true)"
if ! grep -q "$SBPF_LINKER_VERSION" <<<"$linker_version"; then
    echo ">> installing sbpf-linker ${SBPF_LINKER_VERSION} (takes a few minutes)"
    cargo +"$NIGHTLY" install sbpf-linker --locked --version "$SBPF_LINKER_VERSION"
fi

# client/ts/scripts/build-wasm.sh: JS bindings of the wasm health cache (client/wasm).
if [ "$WITH_WASM_BINDGEN" = 1 ] && [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen ${WASM_BINDGEN_VERSION}" ]; then
    echo ">> installing wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (takes a few minutes)"
    # --locked first; a registry mirror lacking one of the CLI's locked versions
    # (seen: webpki-roots 1.0.11) gets a fresh resolution instead.
    if ! cargo install --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"; then
        echo ">> the locked install failed; resolving wasm-bindgen-cli's dependencies afresh"
        cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
    fi
fi

# The in-process test validator (ops/tests/validator.rs) builds RocksDB, whose
# bindings need libclang.
if ! dpkg -s libclang-dev >/dev/null 2>&1; then
    echo ">> installing libclang-dev"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q libclang-dev
fi
