#!/usr/bin/env bash
# Installs what the build (and, with "test", the tests) need, skipping whatever is already
# there: quick and idempotent. Usage: scripts/setup.sh build|test
set -euo pipefail
cd "$(dirname "$0")/.."
need=${1:-build}
say() { echo "[setup] $*"; }

command -v cargo >/dev/null || { echo "[setup] Rust is missing: install it with rustup (https://rustup.rs)" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "[setup] Node.js and npm are missing: install Node >= 20" >&2; exit 1; }

# wasm32 target for stable (tests) and, when nightly is present, for the size-optimised build.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"; rustup target add wasm32-unknown-unknown
fi
if rustup toolchain list | grep -q '^nightly'; then
  if ! rustup component list --toolchain nightly --installed | grep -q '^rust-src'; then
    say "adding rust-src to nightly (for -Zbuild-std)"; rustup component add rust-src --toolchain nightly || say "could not add rust-src: the build falls back to stable"
  fi
  if ! rustup target list --toolchain nightly --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown --toolchain nightly || true
  fi
else
  say "no nightly toolchain: building with stable (about 7 KB more wasm). 'rustup toolchain install nightly' for the small build."
fi

# wasm-bindgen-cli must be exactly the wasm-bindgen crate's version.
want=$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (found '${have:-none}'); this takes a few minutes"
  cargo install wasm-bindgen-cli --version "$want"
fi

# npm dev dependencies (binaryen's wasm-opt, esbuild, playwright-core).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dev dependencies"; npm ci --no-audit --no-fund
fi

if [ "$need" = test ]; then
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    if [ "$(id -u)" = 0 ]; then
      say "installing Debian's chromium and chromium-driver"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
      echo "[setup] the browser tests need Chromium: run 'sudo apt-get install -y chromium chromium-driver'" >&2
      exit 1
    fi
  fi
fi
