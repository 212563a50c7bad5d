//! The host page as the tracker reads it: its address, cookies, globals and what the click
//! request reports about the browser. A blocked cookie jar reads as empty.

use super::js;
use alloc::string::String;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    // Declared here rather than through js-sys's `Intl`, whose bindings bring far more than
    // this one call; `catch`, since a page may replace `Intl`.
    type DateTimeFormat;
    #[wasm_bindgen(catch, js_namespace = Intl, js_name = DateTimeFormat)]
    fn date_time_format() -> Result<DateTimeFormat, JsValue>;
    #[wasm_bindgen(method, catch, js_name = resolvedOptions)]
    fn resolved_options(this: &DateTimeFormat) -> Result<JsValue, JsValue>;
    // Not web-sys's `Element`: the module entry hands over a plain object with a
    // `getAttribute` (its `init()` options), which is no `Element`.
    type Tag;
    #[wasm_bindgen(method, catch, js_name = getAttribute)]
    fn get_attribute(this: &Tag, name: &str) -> Result<Option<String>, JsValue>;
}

/// `globalThis[object][key]` as a string, or `""`. Read through `Reflect.get` rather than a
/// web-sys getter each: one import serves them all (measured: 1.5 KB gzip less, wasm and glue,
/// than web-sys's getters for the dozen properties below), and a sandboxed frame's throwing
/// `cookie` getter reads as empty.
fn text(object: &str, key: &str) -> String {
    js::get(&global(object), key)
        .as_string()
        .unwrap_or_default()
}

/// `document.cookie`, or `""` where cookies are blocked.
pub fn cookies() -> String {
    text("document", "cookie")
}

pub fn write_cookie(line: &str) {
    js::set(&global("document"), "cookie", &line.into());
}

/// `location.href` now.
pub fn href() -> String {
    text("location", "href")
}

pub fn hostname() -> String {
    text("location", "hostname")
}

pub fn is_https() -> bool {
    text("location", "protocol") == "https:"
}

/// Shows `url` in the address bar instead of the current address, with the same history
/// entry and state (`history.replaceState`).
#[cfg(any(test, feature = "handoff"))]
pub fn replace_address(url: &str) {
    let history = global("history");
    if let Some(f) = js::get(&history, "replaceState").dyn_ref::<js_sys::Function>() {
        let _ = f.call3(
            &history,
            &js::get(&history, "state"),
            &"".into(),
            &url.into(),
        );
    }
}

/// A property of the global object (`window.AFFITOR_PROGRAM_ID`…), read without throwing.
pub fn global(name: &str) -> JsValue {
    js::get(&super::global(), name)
}

/// `navigator.onLine` (true where unknown).
pub fn online() -> bool {
    js::get(&global("navigator"), "onLine").as_bool() != Some(false)
}

/// An attribute of the script tag (`None` where there is no tag, or no such attribute).
pub fn attribute(tag: &JsValue, name: &str) -> Option<String> {
    if !js::get(tag, "getAttribute").is_function() {
        return None;
    }
    tag.unchecked_ref::<Tag>()
        .get_attribute(name)
        .ok()
        .flatten()
}

/// What the click request reports about the visitor's browser (docs/contract.md §5).
pub struct Environment {
    pub title: String,
    pub referrer: String,
    pub user_agent: String,
    pub language: String,
    pub timezone: String,
    pub screen: (u32, u32),
    pub viewport: (u32, u32),
}

pub fn environment() -> Environment {
    let n = |o: &JsValue, k| js::get(o, k).as_f64().unwrap_or(0.0) as u32;
    let screen = global("screen");
    let window = super::global();
    let timezone = date_time_format()
        .and_then(|f| f.resolved_options())
        .ok()
        .and_then(|o| js::get(&o, "timeZone").as_string())
        .unwrap_or_default();
    Environment {
        title: text("document", "title"),
        referrer: text("document", "referrer"),
        user_agent: text("navigator", "userAgent"),
        language: text("navigator", "language"),
        timezone,
        screen: (n(&screen, "width"), n(&screen, "height")),
        viewport: (n(&window, "innerWidth"), n(&window, "innerHeight")),
    }
}

/// `decodeURIComponent`, or the value as it is when it is not valid percent-encoding: a cookie
/// another script wrote is still a value worth sending.
pub fn decode(raw: &str) -> String {
    if !crate::text::has(raw, b'%') {
        return String::from(raw);
    }
    js_sys::decode_uri_component(raw).map_or_else(|_| String::from(raw), String::from)
}

/// `encodeURIComponent`: `;`, `=`, `%`, spaces and non-ASCII survive `document.cookie`.
pub fn encode(value: &str) -> String {
    super::js::encode_uri(&value.into()).map_or_else(|_| String::new(), String::from)
}
