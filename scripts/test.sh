#!/usr/bin/env bash
# Every test: native unit tests, browser glue tests (wasm-bindgen-test in headless Chromium),
# then the collector and end-to-end suites (node:test). The end-to-end journeys of
# tests/e2e/engines.test.mjs run in each engine of AFFITOR_ENGINE (chromium, firefox, webkit,
# wpe; a comma list; unset: every engine installed); the suites that drive Chromium alone
# (Playwright routing, CDP, the packaged examples) run when Chromium is one of them.
# Expects dist/ to be built (npm test builds it first).
set -euo pipefail
cd "$(dirname "$0")/.."
engines=${AFFITOR_ENGINE:-chromium,firefox,webkit,wpe}
echo "== size gate (npm run size)"
node scripts/size.mjs
echo "== cargo test (native)"
cargo test --features diagnose # diagnose: src/diagnose.rs, compiled into the fallback only
if [[ ",$engines," == *,chromium,* ]]; then
  echo "== wasm-bindgen-test (headless Chromium)"
  CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=60 \
    cargo test --target wasm32-unknown-unknown --features std --test web
  echo "== node --test (collector, end to end; journeys in: $engines)"
  node --test --test-concurrency=1 tests/
else
  echo "== node --test (collector; end-to-end journeys in: $engines)"
  node --test --test-concurrency=1 tests/*.test.mjs tests/e2e/engines.test.mjs
fi
