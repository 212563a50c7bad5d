//! `localStorage`, for the outbox and the dedupe list. Where it is blocked or full (private
//! modes, sandboxed frames, quota), the tracker keeps going with an in-memory copy for the
//! life of the page: a lead is then only as durable as the page, but is still sent.
//!
//! Values stay JavaScript strings: the outbox goes straight to `JSON.parse` and never through
//! the wasm's memory.

use crate::page;
use crate::state::Local;
use alloc::vec::Vec;
use core::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    type Storage;
    #[wasm_bindgen(method, catch, js_name = getItem)]
    fn get_item(this: &Storage, key: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = setItem)]
    fn set_item(this: &Storage, key: &str, value: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = removeItem)]
    fn remove_item(this: &Storage, key: &str) -> Result<(), JsValue>;
}

/// Values written while `localStorage` refused them: (key, value).
static MEMORY: Local<Vec<(&'static str, JsValue)>> = Local(RefCell::new(Vec::new()));

fn storage() -> Option<Storage> {
    // Reading `localStorage` itself throws where storage is blocked: `global` returns undefined.
    let s = page::global("localStorage");
    s.is_object().then(|| s.unchecked_into())
}

fn remembered(key: &str) -> Option<JsValue> {
    let mem = MEMORY.0.try_borrow().ok()?;
    mem.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
}

/// The stored string, or `null` when there is none.
pub fn read(key: &'static str) -> JsValue {
    remembered(key)
        .or_else(|| storage()?.get_item(key).ok())
        .unwrap_or(JsValue::NULL)
}

pub fn write(key: &'static str, value: &JsValue) {
    // Once a key has fallen back to memory it stays there, so reads never see a stale copy.
    if remembered(key).is_none() && storage().is_some_and(|s| s.set_item(key, value).is_ok()) {
        return;
    }
    if let Ok(mut mem) = MEMORY.0.try_borrow_mut() {
        mem.retain(|(k, _)| *k != key);
        mem.push((key, value.clone()));
    }
}

/// Reads and deletes a value (the loader's calls from a page that closed early).
pub fn take(key: &'static str) -> JsValue {
    let Some(s) = storage() else {
        return JsValue::NULL;
    };
    let v = s.get_item(key).unwrap_or(JsValue::NULL);
    let _ = s.remove_item(key);
    v
}
