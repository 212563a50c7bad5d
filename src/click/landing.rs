//! Landings (docs/contract.md §3 "When a click is captured"): the address the document was navigated
//! to, as the loader recorded it when the tag ran, the same-document navigations since, and the
//! landings an earlier page view of the site left unrecorded (a fast bounce). Each address with
//! an `aff` is captured once, one after another, so that the last click wins.
//!
//! A landing is the loader's record `[url, referrer, time]`. The loader keeps in `localStorage`
//! (`affitor_landings`) those still open when the page goes; one is closed (its url set to
//! `null`) once its click was answered (`visit`), or once it is found to need none.

use super::rules;
use crate::browser::Local;
use crate::browser::{self, console, js};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use wasm_bindgen::JsValue;

/// Where the loader keeps the landings still open when a page goes (`loader/leaving.js`).
pub const KEY: &str = "affitor_landings";

/// Addresses remembered as captured on this page (a router's many navigations).
const SEEN_MAX: usize = 100;

/// Whether a landing recorded at `time` may still be captured at `now`: within the cookie
/// window (its click would have expired by now otherwise), and not from the future.
pub fn fresh(time: f64, now: f64) -> bool {
    let window = super::cookies::DEFAULT_WINDOW_DAYS as f64 * 86_400_000.0;
    time <= now + 60_000.0 && now - time <= window
}

/// Whether `url` is to be captured: it has an `aff`, and this page has not captured it yet
/// (back to an earlier address is no new click). Remembers it, up to [`SEEN_MAX`] addresses.
pub fn first_time(seen: &mut Vec<String>, url: &str) -> bool {
    if rules::aff_param(url).is_none() || seen.iter().any(|s| s == url) {
        return false;
    }
    if seen.len() < SEEN_MAX {
        seen.push(String::from(url));
    }
    true
}

static SEEN: Local<RefCell<Vec<String>>> = Local(RefCell::new(Vec::new()));

/// Captures each landing, oldest first (those with an `aff`, fresh, not yet captured on this
/// page): one task each, which `visit` runs one at a time, in this order, and which closes its
/// landing when done (the loader keeps it no longer: its url set to `null`). Signups made
/// meanwhile wait for the click id: each task holds the gate from its first poll, before theirs.
pub fn capture(landings: Vec<JsValue>) {
    let now = browser::now();
    for l in landings {
        let url = js::index(&l, 0).as_string().unwrap_or_default();
        let time = js::index(&l, 2).as_f64().unwrap_or(now);
        let new = fresh(time, now)
            && SEEN
                .try_borrow_mut()
                .is_ok_and(|mut seen| first_time(&mut seen, &url));
        if !new {
            drop(Close(l));
            continue;
        }
        if rules::aff_in_hash(&url) {
            console::debug(
                "aff in the hash route: capturing the full URL",
                &url.as_str().into(),
            );
        }
        let referrer = js::index(&l, 1).as_string();
        browser::task::detach(super::visit(url, None, referrer, l));
    }
}

/// Closes a landing record when dropped: its click was dealt with.
pub struct Close(pub JsValue);

impl Drop for Close {
    fn drop(&mut self) {
        js::set(&self.0, "0", &JsValue::NULL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_landings_expire_with_the_cookie_window() {
        let day = 86_400_000.0;
        let now = 1_800_000_000_000.0;
        assert!(fresh(now, now));
        assert!(fresh(now - 59.0 * day, now));
        assert!(!fresh(now - 61.0 * day, now));
        assert!(!fresh(now + day, now));
    }

    #[test]
    fn each_address_with_aff_once() {
        let mut seen = Vec::new();
        assert!(first_time(&mut seen, "https://s.example/?aff=A"));
        assert!(!first_time(&mut seen, "https://s.example/?aff=A"));
        assert!(!first_time(&mut seen, "https://s.example/app"));
        assert!(first_time(&mut seen, "https://s.example/p?aff=A"));
        assert!(first_time(&mut seen, "https://s.example/#/signup?aff=H"));
        for i in 0..200 {
            let mut u = String::from("https://s.example/?aff=");
            crate::text::push_number(&mut u, i);
            assert!(first_time(&mut seen, &u));
        }
        assert_eq!(seen.len(), SEEN_MAX, "bounded");
    }
}
