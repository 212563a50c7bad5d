//! The host page, as the tracker touches it: its globals, cookies, URL and timers.
//! Reads are defensive: a sandboxed iframe or a blocked cookie jar reads as "nothing there",
//! never as an exception.

use alloc::boxed::Box;
use alloc::string::String;
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    // Imported directly rather than through `web_sys::window()`, whose search for the global
    // object costs more bytes than everything below.
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL: JsValue;
    type Document;
    #[wasm_bindgen(thread_local_v2, js_name = document)]
    static DOCUMENT: Document;
    #[wasm_bindgen(method, getter, catch)]
    fn cookie(this: &Document) -> Result<String, JsValue>;
    #[wasm_bindgen(method, setter, catch)]
    fn set_cookie(this: &Document, line: &str) -> Result<(), JsValue>;
    type Location;
    #[wasm_bindgen(thread_local_v2, js_name = location)]
    static LOCATION: Location;
    #[wasm_bindgen(method, getter)]
    fn href(this: &Location) -> String;

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &JsValue, ms: u32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
    /// JavaScript's `String(value)`: a number's shortest decimal form, without Rust's float
    /// formatting (≈20 KB) in the wasm.
    #[wasm_bindgen(js_name = String)]
    pub fn js_string(value: &JsValue) -> String;
}

/// A property of the global object (`window.AFFITOR_PROGRAM_ID`, `window.localStorage`…).
pub fn global(name: &str) -> JsValue {
    GLOBAL.with(|g| get(g, name))
}

/// `document.cookie`, or `""` where cookies are blocked.
pub fn cookies() -> String {
    DOCUMENT.with(|d| d.cookie().unwrap_or_default())
}

pub fn write_cookie(line: &str) {
    DOCUMENT.with(|d| {
        let _ = d.set_cookie(line);
    })
}

/// `location.href` now.
pub fn href() -> String {
    LOCATION.with(|l| l.href())
}

pub fn now() -> f64 {
    js_sys::Date::now()
}

/// `obj[key]`, or `undefined` when it cannot be read (a getter that throws, a non-object).
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// A string attribute of an element (the script tag), read without trusting its type.
pub fn attribute(element: &JsValue, name: &str) -> Option<String> {
    let get_attribute: Function = get(element, "getAttribute").dyn_into().ok()?;
    get_attribute
        .call1(element, &JsValue::from_str(name))
        .ok()?
        .as_string()
}

/// A JavaScript function that runs `f` once. Every callback in the tracker goes through this
/// one boxed signature, so the wasm carries a single closure shim.
pub fn once(f: Box<dyn FnOnce(JsValue)>) -> JsValue {
    Closure::once_into_js(f)
}

/// Runs `f` once after `ms` milliseconds, unless the returned handle is cancelled first.
pub fn later(ms: u32, f: Box<dyn FnOnce(JsValue)>) -> Timer {
    Timer(set_timeout(&once(f), ms))
}

/// A pending `setTimeout`. Dropping it keeps the timer; `cancel` stops it.
pub struct Timer(JsValue);

impl Timer {
    pub fn cancel(self) {
        clear_timeout(&self.0);
    }
}
