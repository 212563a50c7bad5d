//! Reading JavaScript values the page hands over (queue entries, `signup()` arguments, stored
//! JSON): every access is a `catch` import, so a throwing getter, a revoked Proxy or a frozen
//! array is an `Err`/`undefined` here, never an exception through the wasm.

use alloc::string::String;
use js_sys::JsString;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    fn reflect_get(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = set)]
    fn reflect_set(target: &JsValue, key: &JsValue, value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn array_is_array(v: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;
    /// `encodeURIComponent`, which throws (a `URIError`) on a lone surrogate: one import both
    /// for the cookies' encoding and for that test, instead of reading the string unit by unit.
    #[wasm_bindgen(catch, js_name = encodeURIComponent)]
    pub(crate) fn encode_uri(v: &JsValue) -> Result<JsString, JsValue>;
    /// JavaScript's `String(value)` for a number: its shortest decimal form, without Rust's
    /// float formatting (≈20 KB) in the wasm.
    #[wasm_bindgen(js_name = String)]
    fn js_string(value: f64) -> String;
}

/// `obj[key]`, or `undefined` when it cannot be read (a throwing getter, a non-object).
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() && !obj.is_function() {
        return JsValue::UNDEFINED;
    }
    reflect_get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[i]`, likewise.
pub fn index(obj: &JsValue, i: u32) -> JsValue {
    if !obj.is_object() {
        return JsValue::UNDEFINED;
    }
    reflect_get(obj, &JsValue::from(i)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key] = value`; false where the object refuses it (frozen, a throwing setter).
pub fn set(obj: &JsValue, key: &str, value: &JsValue) -> bool {
    reflect_set(obj, &JsValue::from_str(key), value).unwrap_or(false)
}

/// `Array.isArray(v)` (where a page broke it, `v instanceof Array`), false for a revoked Proxy.
pub fn is_array(v: &JsValue) -> bool {
    v.is_object() && array_is_array(v).unwrap_or_else(|_| v.is_instance_of::<js_sys::Array>())
}

/// An array's items, read one by one (at most `max`): a getter that throws reads as `undefined`.
pub fn items(v: &JsValue, max: u32) -> alloc::vec::Vec<JsValue> {
    if !is_array(v) {
        return alloc::vec::Vec::new();
    }
    let n = get(v, "length")
        .as_f64()
        .unwrap_or(0.0)
        .clamp(0.0, max as f64) as u32;
    (0..n).map(|i| index(v, i)).collect()
}

/// The value stored JSON text describes, or `undefined`.
pub fn parse(text: &JsValue) -> JsValue {
    if !text.is_string() {
        return JsValue::UNDEFINED;
    }
    json_parse(text).unwrap_or(JsValue::UNDEFINED)
}

/// A string value as Rust text, if it is a string of at most `max` UTF-16 units that survives
/// the trip to UTF-8 intact (no lone surrogates, which would all become U+FFFD).
pub fn text(v: &JsValue, max: u32) -> Option<Result<String, Refused>> {
    let s = v.dyn_ref::<JsString>()?;
    Some(if s.length() > max {
        Err(Refused::TooLong)
    } else if encode_uri(v).is_err() {
        Err(Refused::LoneSurrogate)
    } else {
        Ok(s.into())
    })
}

/// Why a string was not taken.
#[derive(Debug, PartialEq, Clone, Copy)]
pub enum Refused {
    TooLong,
    LoneSurrogate,
}

/// A finite number in JavaScript's own decimal notation.
pub fn decimal(v: &JsValue) -> Option<String> {
    v.as_f64().filter(|n| n.is_finite()).map(js_string)
}
