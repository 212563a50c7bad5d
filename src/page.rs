//! The host page, as the tracker touches it: its globals, cookies, URL and timers.
//! Reads are defensive: a sandboxed iframe or a blocked cookie jar reads as "nothing there",
//! never as an exception.

use alloc::string::String;
use js_sys::JSON;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    // Imported directly rather than through `web_sys::window()`, whose search for the global
    // object costs more bytes than everything below. Everything else is read by name through
    // `Reflect.get`: one import serves every property, where a getter each would cost an
    // import and its glue.
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL: JsValue;
    #[wasm_bindgen(js_namespace = Intl, js_name = DateTimeFormat)]
    fn date_time_format() -> DateTimeFormat;
    type DateTimeFormat;
    #[wasm_bindgen(method, js_name = resolvedOptions)]
    fn resolved_options(this: &DateTimeFormat) -> JsValue;

    // Keys go over as plain strings: no JsValue is made (and dropped) for each of them.
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    fn reflect_get(target: &JsValue, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = set)]
    fn reflect_set(target: &JsValue, key: &str, value: &str) -> Result<bool, JsValue>;
    // On objects the tracker made itself (entries, request options): these cannot throw.
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn reflect_set_value(target: &JsValue, key: &str, value: &JsValue);
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn reflect_set_number(target: &JsValue, key: &str, value: f64);
    /// `JSON.parse` of a value that is already a JavaScript string (stored text): it is not
    /// copied through the wasm's memory.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;
    type Element;
    #[wasm_bindgen(method, js_name = getAttribute)]
    fn get_attribute(this: &Element, name: &str) -> Option<String>;
}

/// A property of the global object (`window.AFFITOR_PROGRAM_ID`, `window.localStorage`…).
pub fn global(name: &str) -> JsValue {
    GLOBAL.with(|g| get(g, name))
}

/// `decodeURIComponent`, or the value as it is when it is not valid percent-encoding: a cookie
/// another script wrote is still a value worth sending.
pub fn decode(raw: &str) -> String {
    if !raw.as_bytes().contains(&b'%') {
        return String::from(raw);
    }
    js_sys::decode_uri_component(raw).map_or_else(|_| String::from(raw), String::from)
}

/// `encodeURIComponent`: `;`, `=`, `%`, spaces and non-ASCII survive `document.cookie`.
pub fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

/// A cookie's decoded value, if it is set and not empty.
pub fn cookie(jar: &str, name: &str) -> Option<String> {
    crate::cookie::find(jar, name)
        .filter(|v| !v.is_empty())
        .map(decode)
}

/// `document.cookie`, or `""` where cookies are blocked.
pub fn cookies() -> String {
    text("document", "cookie")
}

pub fn write_cookie(line: &str) {
    let _ = reflect_set(&global("document"), "cookie", line);
}

/// `globalThis[object][key]` as a string, or `""` (a sandboxed frame's cookie jar throws).
fn text(object: &str, key: &str) -> String {
    get(&global(object), key).as_string().unwrap_or_default()
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

/// What the click request reports about the visitor's browser (CONTRACT.md §5).
pub struct Environment {
    pub title: String,
    pub referrer: String,
    pub user_agent: String,
    pub language: String,
    pub timezone: String,
    pub screen: String,
    pub viewport: String,
}

pub fn environment() -> Environment {
    let size = |obj: &JsValue, w: &str, h: &str| {
        let n = |k| get(obj, k).as_f64().unwrap_or(0.0) as u64;
        crate::click::size(n(w), n(h))
    };
    Environment {
        title: text("document", "title"),
        referrer: text("document", "referrer"),
        user_agent: text("navigator", "userAgent"),
        language: text("navigator", "language"),
        timezone: get(&date_time_format().resolved_options(), "timeZone")
            .as_string()
            .unwrap_or_default(),
        screen: size(&global("screen"), "width", "height"),
        viewport: GLOBAL.with(|g| size(g, "innerWidth", "innerHeight")),
    }
}

pub fn now() -> f64 {
    js_sys::Date::now()
}

/// `obj[key]`, or `undefined` when it cannot be read (a getter that throws, a non-object).
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    reflect_get(obj, key).unwrap_or(JsValue::UNDEFINED)
}

/// A JavaScript value from JSON the tracker wrote (result objects, request options): one call
/// instead of one per property.
pub fn parse(json: &str) -> JsValue {
    JSON::parse(json).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key] = value`, on an object the tracker made.
pub fn set(obj: &JsValue, key: &str, value: &JsValue) {
    reflect_set_value(obj, key, value);
}

pub fn set_number(obj: &JsValue, key: &str, value: f64) {
    reflect_set_number(obj, key, value);
}

/// `obj[key]` as a number, or 0.
pub fn number(obj: &JsValue, key: &str) -> f64 {
    get(obj, key).as_f64().unwrap_or(0.0)
}

/// The value stored text describes, or `undefined` when it is not JSON.
pub fn parse_value(text: &JsValue) -> JsValue {
    json_parse(text).unwrap_or(JsValue::UNDEFINED)
}

/// An attribute of the script tag (`None` where there is no tag, or no such attribute).
pub fn attribute(element: &JsValue, name: &str) -> Option<String> {
    if !get(element, "getAttribute").is_function() {
        return None;
    }
    element.unchecked_ref::<Element>().get_attribute(name)
}
