//! The outbox: leads written to `localStorage` before they are sent and removed once the API
//! has answered for good, so that a lead whose page closed, or whose retries ran out, goes
//! out on the visitor's next page view.
//!
//! Stored as JSON, an array of entry objects that the tracker reads and changes as JavaScript
//! objects: the browser's `JSON.parse` and `JSON.stringify` do the text, so no parser or
//! writer for it is in the wasm. An entry that is not an object with a string `id`, `url` and
//! `body` (corrupt, or another script's) is dropped. Ownership is a lease: the page that holds
//! an unexpired lease on an entry is the only one that sends it, so two tabs flushing one
//! outbox send it once.

use crate::text::{self, cat, number, push_number};
use crate::{page, store};
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, JSON};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// An `Array`, for `splice` without an item to insert (js-sys's `splice` needs one).
    type List;
    #[wasm_bindgen(method)]
    fn splice(this: &List, start: u32, count: u32);
}

/// `localStorage` keys.
pub const KEY: &str = "affitor_outbox";
pub const SENT_KEY: &str = "affitor_sent";

/// An entry older than this is dropped: the lead is stale, and the email in it should go.
pub const MAX_AGE_MS: f64 = 7.0 * 24.0 * 3600.0 * 1000.0;
pub const MAX_ENTRIES: u32 = 20;
/// The dedupe list remembers this many delivered leads, for this long.
pub const SENT_MAX: usize = 50;
pub const SENT_MAX_AGE_MS: u64 = 90 * 24 * 3600 * 1000;

/// One entry: `{ id, key, created, attempts, owner, lease, waiting, url, body }`. `key` is the
/// fingerprint of program and customer key (the same signup twice is one lead); `owner` is the
/// session id of the page working on it, and `lease` until when (ms since the epoch);
/// `waiting` is 1 while it waits for a retry timer rather than being in flight.
pub struct Entry(pub JsValue);

impl Entry {
    pub fn get(&self, field: &str) -> JsValue {
        page::get(&self.0, field)
    }

    pub fn number(&self, field: &str) -> f64 {
        page::number(&self.0, field)
    }

    pub fn set(&self, field: &str, value: f64) {
        page::set_number(&self.0, field, value)
    }

    pub fn is_mine(&self, me: &JsValue) -> bool {
        self.get("owner") == *me
    }

    /// May the page `me` send this entry now?
    pub fn claimable(&self, me: &JsValue, now: f64) -> bool {
        self.is_mine(me) || self.number("lease") <= now
    }

    /// The page `me` holds it until `lease`, and is sending it (not waiting for a timer).
    pub fn hold(&self, me: &JsValue, lease: f64) {
        page::set(&self.0, "owner", me);
        self.set("lease", lease);
        self.set("waiting", 0.0);
    }

    /// No page holds it: any page may send it from `not_before` on (0: at once).
    pub fn let_go(&self, not_before: f64) {
        self.hold(&JsValue::from_str(""), not_before);
    }
}

/// The outbox as stored, read once for one change.
pub struct Outbox(Array);

impl Outbox {
    /// Reads the outbox, without the entries that are malformed or older than `MAX_AGE_MS`.
    pub fn load(now: f64) -> Outbox {
        let list = page::parse_value(&store::read(KEY))
            .dyn_into::<Array>()
            .unwrap_or_else(|_| Array::new());
        let mut i = list.length();
        while i > 0 {
            i -= 1;
            let e = list.get(i);
            let ok = e.is_object()
                && ["id", "url", "body"]
                    .iter()
                    .all(|f| page::get(&e, f).is_string())
                && now - page::number(&e, "created") < MAX_AGE_MS;
            if !ok {
                remove(&list, i, 1);
            }
        }
        Outbox(list)
    }

    /// Writes it back, keeping the newest `MAX_ENTRIES`.
    pub fn save(&self) {
        remove(&self.0, 0, self.0.length().saturating_sub(MAX_ENTRIES));
        if let Ok(text) = JSON::stringify(&self.0) {
            store::write(KEY, &text);
        }
    }

    pub fn len(&self) -> u32 {
        self.0.length()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn entry(&self, i: u32) -> Entry {
        Entry(self.0.get(i))
    }

    /// The index of the first entry whose `field` is `value`.
    pub fn find(&self, field: &str, value: &JsValue) -> Option<u32> {
        (0..self.len()).find(|&i| self.entry(i).get(field) == *value)
    }

    pub fn push(&self, entry: &JsValue) {
        self.0.push(entry);
    }

    pub fn remove(&self, i: u32) {
        remove(&self.0, i, 1);
    }
}

fn remove(list: &Array, start: u32, count: u32) {
    list.unchecked_ref::<List>().splice(start, count);
}

/// The dedupe list: `fingerprint:time` pairs, comma-separated, oldest first.
pub fn sent_has(stored: &str, key: &str, now: u64) -> bool {
    sent(stored, now).any(|(k, _)| k == key)
}

/// The list with `key` added (once), trimmed to its age and length bounds.
pub fn sent_add(stored: &str, key: &str, now: u64) -> String {
    let kept: Vec<(&str, u64)> = sent(stored, now).filter(|(k, _)| *k != key).collect();
    let skip = (kept.len() + 1).saturating_sub(SENT_MAX);
    let mut out = String::new();
    for (k, t) in kept.iter().skip(skip).copied().chain([(key, now)]) {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(k);
        out.push(':');
        push_number(&mut out, t);
    }
    out
}

fn sent(stored: &str, now: u64) -> impl Iterator<Item = (&str, u64)> {
    text::split(stored, b',').filter_map(move |pair| {
        let (k, t) = text::split_once(pair, b':')?;
        let t = number(t)?;
        (!k.is_empty() && now.saturating_sub(t) < SENT_MAX_AGE_MS).then_some((k, t))
    })
}

/// An entry id: the session id and a per-page counter.
pub fn entry_id(session_id: &str, n: u32) -> String {
    let mut s = cat(&[session_id, "."]);
    push_number(&mut s, n as u64);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dedupe_list_is_bounded_and_ages() {
        let now = 10 * SENT_MAX_AGE_MS;
        let mut list = String::new();
        for i in 0..60u64 {
            let mut k = String::from("k");
            push_number(&mut k, i);
            list = sent_add(&list, &k, now + i);
        }
        assert!(sent_has(&list, "k59", now) && sent_has(&list, "k10", now));
        assert!(
            !sent_has(&list, "k9", now),
            "only the newest {SENT_MAX} are kept"
        );
        assert_eq!(list.split(',').count(), SENT_MAX);
        assert!(!sent_has(&list, "k59", now + 60 + SENT_MAX_AGE_MS));
        assert_eq!(sent_add("k1:5", "k1", now), {
            let mut s = String::from("k1:");
            push_number(&mut s, now);
            s
        });
        assert!(!sent_has("garbage,:,k:x", "k", now));
    }

    #[test]
    fn numbers() {
        let mut s = String::new();
        push_number(&mut s, 0);
        s.push(' ');
        push_number(&mut s, 1_714_000_000_000);
        assert_eq!(s, "0 1714000000000");
        assert_eq!(number("1714000000000"), Some(1_714_000_000_000));
        assert_eq!(number("1a"), None);
        assert_eq!(number(""), None);
        assert_eq!(entry_id("s_x", 3), "s_x.3");
    }
}
