//! The JavaScript values the page passes in (`signup()`'s arguments, `AFFITOR_PROGRAM_ID`),
//! read without calling into them: no `toString`, no getters.

use crate::lead::Arg;
use alloc::string::String;
use js_sys::JsString;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// JavaScript's `String(value)`: a number's shortest decimal form, without Rust's float
    /// formatting (≈20 KB) in the wasm.
    #[wasm_bindgen(js_name = String)]
    pub fn js_string(value: &JsValue) -> String;
}

/// A `signup()` argument, classified; a string longer than `max_len` is not copied.
pub fn classify(v: &JsValue, max_len: u32) -> Arg {
    if v.is_undefined() || v.is_null() {
        Arg::Missing
    } else if let Some(s) = v.dyn_ref::<JsString>() {
        if s.length() > max_len {
            Arg::TooLong
        } else {
            Arg::Text(s.into())
        }
    } else {
        match decimal(v) {
            Some(n) => Arg::Number(n),
            None => Arg::Other("not a string"),
        }
    }
}

/// A finite number in JavaScript's own decimal notation.
pub fn decimal(v: &JsValue) -> Option<String> {
    v.as_f64().filter(|n| n.is_finite()).map(|_| js_string(v))
}

/// A string, or a finite number as its decimal text.
pub fn decimal_or_text(v: &JsValue) -> Option<String> {
    v.as_string().or_else(|| decimal(v))
}
