#!/usr/bin/env bash
# Every test: native unit tests, browser glue tests (wasm-bindgen-test in headless Chromium),
# then the collector and end-to-end suites (node:test, playwright-core driving Chromium).
# Expects dist/ to be built (npm test builds it first).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo test (native)"
cargo test
echo "== wasm-bindgen-test (headless Chromium)"
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=60 \
  cargo test --target wasm32-unknown-unknown --features std --test web
echo "== node --test (collector, end to end)"
node --test --test-concurrency=1 tests/
