//! Browser glue tests, run by wasm-bindgen-test in headless Chromium.
use wasm_bindgen_test::*;
wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn placeholder() {}
