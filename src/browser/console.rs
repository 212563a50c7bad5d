//! Console output, always prefixed `[Affitor]`: errors and warnings always, the rest only in
//! debug mode (`data-affitor-debug="true"`). Declared `catch`: a page may replace `console`.

use core::sync::atomic::{AtomicBool, Ordering};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = console, js_name = error)]
    fn console_error(prefix: &str, msg: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = console, js_name = warn)]
    fn console_warn(prefix: &str, msg: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(catch, js_namespace = console, js_name = log)]
    fn console_log(prefix: &str, msg: &str, value: &JsValue) -> Result<(), JsValue>;
}

const PREFIX: &str = "[Affitor]";
static DEBUG: AtomicBool = AtomicBool::new(false);

pub fn set_debug(on: bool) {
    DEBUG.store(on, Ordering::Relaxed);
}

pub fn error(msg: &str) {
    let _ = console_error(PREFIX, msg);
}

pub fn warn(msg: &str) {
    let _ = console_warn(PREFIX, msg);
}

/// A step worth showing while a developer integrates, with a value to inspect.
pub fn debug(msg: &str, value: &JsValue) {
    if DEBUG.load(Ordering::Relaxed) {
        let _ = console_log(PREFIX, msg, value);
    }
}
