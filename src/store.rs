//! `localStorage`, for the outbox and the dedupe list. Where it is blocked or full (private
//! modes, sandboxed frames, quota), the tracker keeps going with an in-memory copy for the
//! life of the page: a lead is then only as durable as the page, but is still sent.

use crate::outbox::{self, Entry};
use crate::page;
use crate::state::Local;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    type Storage;
    #[wasm_bindgen(method, catch, js_name = getItem)]
    fn get_item(this: &Storage, key: &str) -> Result<Option<String>, JsValue>;
    #[wasm_bindgen(method, catch, js_name = setItem)]
    fn set_item(this: &Storage, key: &str, value: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = removeItem)]
    fn remove_item(this: &Storage, key: &str) -> Result<(), JsValue>;
}

/// Values written while `localStorage` refused them: (key, value).
static MEMORY: Local<Vec<(&'static str, String)>> = Local(RefCell::new(Vec::new()));

fn storage() -> Option<Storage> {
    // Reading `localStorage` itself throws where storage is blocked: `global` returns undefined.
    let s = page::global("localStorage");
    s.is_object().then(|| s.unchecked_into())
}

fn remembered(key: &str) -> Option<String> {
    let mem = MEMORY.0.try_borrow().ok()?;
    mem.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
}

pub fn read(key: &'static str) -> String {
    remembered(key)
        .or_else(|| storage()?.get_item(key).ok().flatten())
        .unwrap_or_default()
}

pub fn write(key: &'static str, value: &str) {
    // Once a key has fallen back to memory it stays there, so reads never see a stale copy.
    if remembered(key).is_none() && storage().is_some_and(|s| s.set_item(key, value).is_ok()) {
        return;
    }
    if let Ok(mut mem) = MEMORY.0.try_borrow_mut() {
        mem.retain(|(k, _)| *k != key);
        mem.push((key, String::from(value)));
    }
}

/// Reads and deletes a value (the loader's calls from a page that closed early).
pub fn take(key: &'static str) -> Option<String> {
    let s = storage()?;
    let v = s.get_item(key).ok().flatten();
    let _ = s.remove_item(key);
    v
}

/// Changes the outbox in one read-modify-write, with `add` appended, pruned to its bounds.
/// (A `dyn` callback: one copy of the load and save code serves every caller.)
pub fn update(add: Option<Entry>, f: &mut dyn FnMut(&mut Vec<Entry>)) {
    let stored = read(outbox::KEY);
    let mut entries = outbox::parse(&stored);
    entries.extend(add);
    f(&mut entries);
    outbox::prune(&mut entries, page::now() as u64);
    write(outbox::KEY, &outbox::write(&entries));
}
