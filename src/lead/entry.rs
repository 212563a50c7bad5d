//! One outbox entry: a lead as it waits in `localStorage` for the API's answer, with the lease
//! that says which page may send it (see `outbox`).
//!
//! Stored as a JSON array that the tracker writes itself (a page's `JSON.stringify` may be
//! patched, as Prototype.js does) and reads with the browser's `JSON.parse`, checking every field.

use super::body::Lead;
use crate::browser::{js, storage};
use crate::json::Obj;
use crate::text::push_number;
use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::JsValue;

pub const KEY: &str = "affitor_outbox";
/// An entry older than this is dropped: the lead is stale, and the email in it should go.
pub const MAX_AGE_MS: f64 = 7.0 * 24.0 * 3600.0 * 1000.0;
/// The most leads the outbox holds. A signup beyond it is refused; a lead the outbox holds is
/// never dropped to make room (only once [`MAX_AGE_MS`] old).
pub const MAX_ENTRIES: usize = 100;

#[derive(Debug, PartialEq)]
#[cfg_attr(test, derive(Clone))]
pub struct Entry {
    /// The page's session id and a counter.
    pub id: String,
    /// The lead's dedupe fingerprint (see `dedupe`).
    pub fp: String,
    pub created: f64,
    /// Attempts in all pages.
    pub attempts: u32,
    /// The session id of the page working on it, or `""`.
    pub owner: String,
    /// Until when (ms since the epoch) `owner` holds it; for an entry nobody holds, the time
    /// before which no page sends it (a `Retry-After`).
    pub lease: f64,
    /// Waiting for a retry timer, rather than in flight.
    pub waiting: bool,
    /// Sends that left with their page (on the wire with keepalive, or as a beacon), whose
    /// answer no page saw.
    pub unseen: u32,
    /// The lead's click id, if it had one when it was made.
    pub click: Option<String>,
    /// Its click-id history, as a JSON array.
    pub ids: String,
    /// The rest of its body (`Lead::rest`).
    pub rest: String,
}

impl Entry {
    pub fn new(id: String, fp: String, now: f64, owner: &str, lease: f64, lead: &Lead) -> Entry {
        Entry {
            id,
            fp,
            created: now,
            attempts: 0,
            owner: String::from(owner),
            lease,
            // Not in flight until its first attempt: a page that goes before that hands it on.
            waiting: true,
            unseen: 0,
            click: lead.click_id.clone(),
            ids: super::body::ids(&lead.click_ids),
            rest: lead.rest(),
        }
    }

    /// The request body. A lead made before its click was known (the landing page's click
    /// request still on its way, or lost with a redirect) takes the click the browser holds now.
    pub fn body(&mut self, held: impl FnOnce() -> Option<(String, Vec<String>)>) -> String {
        if self.click.is_none()
            && let Some((id, history)) = held()
        {
            self.click = Some(id);
            self.ids = super::body::ids(&history);
        }
        super::body::compose(self.click.as_deref(), &self.ids, &self.rest)
    }

    /// May the page `me` send this entry at `now`?
    pub fn claimable(&self, me: &str, now: f64) -> bool {
        self.owner == me || self.lease <= now
    }

    /// The page `me` takes it, until `lease`, to send it now.
    pub fn hold(&mut self, me: &str, lease: f64) {
        self.owner = String::from(me);
        self.lease = lease;
        self.waiting = false;
    }

    /// No page holds it: any page may send it from `not_before` on (0: at once).
    pub fn let_go(&mut self, not_before: f64) {
        self.hold("", not_before);
    }

    pub fn json(&self) -> String {
        Obj::new()
            .str("id", &self.id)
            .str("fp", &self.fp)
            .num("created", self.created as u64)
            .num("attempts", self.attempts as u64)
            .str("owner", &self.owner)
            .num("lease", self.lease as u64)
            .bool("waiting", self.waiting)
            .num("unseen", self.unseen as u64)
            .opt_str("click", self.click.as_deref())
            .str("ids", &self.ids)
            .str("rest", &self.rest)
            .end()
    }

    fn from_js(v: &JsValue) -> Option<Entry> {
        let text = |k| js::get(v, k).as_string();
        let number = |k| js::get(v, k).as_f64().filter(|n| n.is_finite());
        Some(Entry {
            id: text("id")?,
            fp: text("fp")?,
            created: number("created")?,
            attempts: number("attempts")? as u32,
            owner: text("owner")?,
            lease: number("lease")?,
            waiting: js::get(v, "waiting").as_bool()?,
            unseen: number("unseen").unwrap_or(0.0) as u32,
            click: text("click"),
            // Spliced into the body as they are: they must look like what `Lead` writes.
            ids: text("ids").filter(|i| i.starts_with('[') && i.ends_with(']'))?,
            rest: text("rest")
                .filter(|r| r.starts_with("\"customer_key\":") && r.ends_with('}'))?,
        })
    }
}

/// Whether a new lead may join `entries`.
pub fn has_room(entries: &[Entry]) -> bool {
    entries.len() < MAX_ENTRIES
}

/// What the outbox keeps of `entries` at `now`: none too old. Entries come oldest first.
pub fn trim(entries: &mut Vec<Entry>, now: f64) -> usize {
    let before = entries.len();
    entries.retain(|e| now - e.created < MAX_AGE_MS);
    before - entries.len()
}

/// A stored outbox larger than this is not one the tracker wrote (100 idle entries of a few
/// hundred bytes each, and what a page holds); it is read as empty rather than trusted.
const STORED_MAX: u32 = 512 * 1024;

/// The stored outbox, oldest first; what does not read as an entry is skipped.
pub fn stored() -> Vec<Entry> {
    let list = storage::read(KEY)
        .filter(|t| js_sys::JsString::from(t.clone()).length() <= STORED_MAX)
        .map_or(JsValue::UNDEFINED, |t| js::parse(&t));
    let mut entries = Vec::new();
    for v in js::items(&list, 1000) {
        entries.extend(Entry::from_js(&v));
    }
    entries
}

/// `entries` as the JSON array the outbox is stored as.
pub fn list(entries: &[Entry]) -> String {
    let mut text = String::from("[");
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&e.json());
    }
    text.push(']');
    text
}

/// An entry id: the session id and a per-page counter.
pub fn entry_id(session_id: &str, n: u32) -> String {
    let mut s = crate::text::cat(&[session_id, "."]);
    push_number(&mut s, n as u64);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    fn entry(n: u32, lease: f64) -> Entry {
        Entry {
            id: format!("s.{n}"),
            fp: format!("f{n}"),
            created: 1000.0 + n as f64,
            attempts: 0,
            owner: String::from(if lease > 0.0 { "s" } else { "" }),
            lease,
            waiting: false,
            unseen: 0,
            click: None,
            ids: "[]".into(),
            rest: "\"customer_key\":\"k\"}".into(),
        }
    }

    #[test]
    fn a_lead_made_before_its_click_takes_the_one_held_when_sent() {
        let mut e = entry(1, 0.0);
        let body = e.body(|| Some(("c9".into(), alloc::vec!["c9".into()])));
        assert_eq!(
            body,
            r#"{"click_id":"c9","click_ids":["c9"],"has_attribution":true,"customer_key":"k"}"#
        );
        let again = e.body(|| Some(("other".into(), Vec::new())));
        assert_eq!(again, body, "a known click is kept");
    }

    #[test]
    fn leases_decide_who_sends() {
        let mut e = entry(1, 5000.0);
        assert!(e.claimable("s", 2000.0), "its holder");
        assert!(
            !e.claimable("t", 2000.0),
            "another page, while the lease runs"
        );
        assert!(e.claimable("t", 5000.0), "another page, once it ran out");
        e.let_go(0.0);
        assert!(e.claimable("t", 1.0) && e.owner.is_empty());
        e.let_go(9000.0);
        assert!(
            !e.claimable("t", 8999.0),
            "a Retry-After holds every page back"
        );
    }

    #[test]
    fn no_lead_is_dropped_for_room_only_for_age() {
        let now = 10_000.0;
        // 130 entries, held or not: the bound refuses new leads, it never drops one held.
        let mut all: Vec<Entry> = (0..130)
            .map(|n| entry(n, if n >= 100 { now + 1.0 } else { 0.0 }))
            .collect();
        assert_eq!(trim(&mut all, now), 0);
        assert_eq!(all.len(), 130);
        assert!(!has_room(&all));
        assert!(has_room(&all[..MAX_ENTRIES - 1]));
        let mut old = alloc::vec![entry(1, 0.0)];
        assert_eq!(trim(&mut old, 1001.0 + MAX_AGE_MS), 1, "too old");
    }

    #[test]
    fn entries_are_numbered_per_page() {
        assert_eq!(entry_id("s_x", 3), "s_x.3");
    }
}
