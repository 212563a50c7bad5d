#!/usr/bin/env bash
# Installs what the build (and, with "test", the tests) need, skipping whatever is already
# there: quick and idempotent. Usage: scripts/setup.sh build|test
# With "test", the browsers of the run (AFFITOR_ENGINE=chromium|firefox|webkit|wpe, a comma list;
# unset: all four) come from Debian's packages: installed here when run as root, else named.
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

# npm dev dependencies (binaryen's wasm-opt, esbuild, playwright-core, puppeteer-core, selenium-webdriver).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dev dependencies"; npm ci --no-audit --no-fund
fi

if [ "$need" = test ]; then
  # engine → the Debian packages it needs, and a file each installs.
  engines=${AFFITOR_ENGINE:-chromium,firefox,webkit,wpe}
  packages=()
  missing=()
  check() { # check FILE PACKAGE
    if [ ! -x "$1" ]; then packages+=("$2"); missing+=("$1"); fi
  }
  # The wasm-bindgen-test glue tests run in Chromium too (chromedriver).
  for engine in ${engines//,/ }; do
    case "$engine" in
      chromium) check /usr/bin/chromium chromium; check /usr/bin/chromedriver chromium-driver ;;
      firefox) check /usr/bin/firefox-esr firefox-esr ;;
      webkit)
        check /usr/bin/WebKitWebDriver webkit2gtk-driver
        check /usr/bin/Xvfb xvfb
        ls /usr/lib/*/webkit2gtk-4.1/MiniBrowser >/dev/null 2>&1 || { packages+=(webkit2gtk-driver); missing+=(MiniBrowser); } ;;
      wpe) check /usr/bin/WPEWebDriver wpewebkit-driver; check /usr/bin/cog cog ;;
      *) echo "[setup] AFFITOR_ENGINE: unknown engine '$engine' (chromium, firefox, webkit, wpe)" >&2; exit 1 ;;
    esac
  done
  if [ ${#packages[@]} -gt 0 ]; then
    list=$(printf '%s\n' "${packages[@]}" | sort -u | tr '\n' ' ')
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing the test browsers from Debian: $list(missing: ${missing[*]})"
      apt-get update -qq
      # shellcheck disable=SC2086
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $list >/dev/null
    else
      echo "[setup] the browser tests need: ${missing[*]}" >&2
      echo "[setup] install them with: sudo apt-get install -y $list" >&2
      echo "[setup] or run fewer engines, e.g. AFFITOR_ENGINE=chromium npm test" >&2
      exit 1
    fi
  fi
fi
