//! `localStorage`, for the outbox and the dedupe list. Where it is blocked, full, or does not
//! give back what was written (private modes, sandboxed frames, a page's stub), the tracker
//! keeps that key in memory for the life of the page: the lead is then only as durable as the
//! page, but it is still sent.

use super::Local;
use alloc::vec::Vec;
use core::cell::RefCell;
use wasm_bindgen::JsValue;
use web_sys::Storage;

/// Values kept in memory because `localStorage` would not keep them: (key, value).
static MEMORY: Local<RefCell<Vec<(&'static str, JsValue)>>> = Local(RefCell::new(Vec::new()));

fn storage() -> Option<Storage> {
    // Reading `localStorage` throws where storage is blocked.
    super::window()?.local_storage().ok().flatten()
}

fn remembered(key: &str) -> Option<JsValue> {
    let mem = MEMORY.borrow();
    mem.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
}

/// The stored string, if there is one.
pub fn read(key: &'static str) -> Option<JsValue> {
    if let Some(v) = remembered(key) {
        return Some(v).filter(|v| v.is_string());
    }
    storage()?.get_item(key).ok().flatten().map(JsValue::from)
}

/// Writes `value`, and checks that it reads back: a storage that drops writes is not trusted
/// again for this key.
pub fn write(key: &'static str, value: &str) {
    if super::task::stopped() {
        return; // forget() ran: nothing is written again on this page
    }
    if remembered(key).is_none()
        && let Some(s) = storage()
        && s.set_item(key, value).is_ok()
        && s.get_item(key).ok().flatten().as_deref() == Some(value)
    {
        return;
    }
    let mut mem = MEMORY.borrow_mut();
    let value = JsValue::from_str(value);
    // Replaced in place (`retain` costs a generic of its own).
    match mem.iter_mut().find(|(k, _)| *k == key) {
        Some(kept) => kept.1 = value,
        None => mem.push((key, value)),
    }
}

/// Deletes `keys`, from `localStorage` and from memory.
pub fn forget(keys: &[&'static str]) {
    MEMORY.borrow_mut().clear();
    for key in keys {
        take(key);
    }
}

/// Reads and deletes a value (calls the loader saved from a page that closed early).
pub fn take(key: &'static str) -> Option<JsValue> {
    let s = storage()?;
    let v = s.get_item(key).ok().flatten();
    let _ = s.remove_item(key);
    v.map(JsValue::from)
}
