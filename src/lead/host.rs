//! What the outbox needs of the browser: the clock, `localStorage`, Web Locks, the requests a
//! going page leaves behind, and the click the browser holds. [`Web`] is the browser's; the
//! outbox's tests bring their own, so its protocol runs natively with `cargo test`.

use super::entry::{self, Entry};
use crate::browser::{self, console, http, locks, storage};
use crate::click;
use alloc::string::String;
use alloc::vec::Vec;
use core::future::Future;

pub trait Host {
    /// Held until dropped.
    type Lock;
    fn now(&self) -> f64;
    fn random(&self) -> f64;
    /// Asks for the lock `name` at once (so that two can be asked for together); the future
    /// resolves once it is granted, or with `None` when `if_available` found it taken.
    fn lock(
        &self,
        name: &str,
        if_available: bool,
    ) -> impl Future<Output = Option<Self::Lock>> + use<Self>;
    /// False where the browser has no Web Locks: another tab may be doing the same.
    fn exclusive(lock: &Self::Lock) -> bool;
    /// The stored outbox, oldest first; what does not read as an entry is skipped.
    fn load(&self) -> Vec<Entry>;
    fn save(&self, entries: &[Entry]);
    fn read(&self, key: &'static str) -> Option<String>;
    fn write(&self, key: &'static str, value: &str);
    /// A click request is on its way: a lead made now waits for its click id.
    fn click_in_flight(&self) -> bool;
    /// The click id the browser holds, and its history.
    fn held_click(&self) -> Option<(String, Vec<String>)>;
    /// Whether a request can outlive its page (`fetch` with `keepalive`).
    fn keepalive(&self) -> bool;
    /// Sends a lead's `body` as a beacon; false when the browser refused it.
    fn beacon(&self, body: &str) -> bool;
    /// Sends a lead's `body` as a keepalive `fetch`, with no one to read the answer.
    fn fire(&self, body: &str);
    fn warn(&self, why: &str);
}

/// The browser, with the API's lead endpoint.
pub struct Web {
    pub url: String,
}

impl Host for Web {
    type Lock = locks::Lock;

    fn now(&self) -> f64 {
        browser::now()
    }

    fn random(&self) -> f64 {
        browser::random()
    }

    fn lock(
        &self,
        name: &str,
        if_available: bool,
    ) -> impl Future<Output = Option<locks::Lock>> + use<> {
        locks::request(name, if_available).granted()
    }

    fn exclusive(lock: &locks::Lock) -> bool {
        lock.exclusive
    }

    fn load(&self) -> Vec<Entry> {
        entry::stored()
    }

    fn save(&self, entries: &[Entry]) {
        storage::write(entry::KEY, &entry::list(entries));
    }

    fn read(&self, key: &'static str) -> Option<String> {
        storage::read(key).and_then(|v| v.as_string())
    }

    fn write(&self, key: &'static str, value: &str) {
        storage::write(key, value);
    }

    fn click_in_flight(&self) -> bool {
        click::in_flight()
    }

    fn held_click(&self) -> Option<(String, Vec<String>)> {
        Some((click::cookies::click_id()?, click::cookies::history()))
    }

    fn keepalive(&self) -> bool {
        http::keepalive_supported()
    }

    fn beacon(&self, body: &str) -> bool {
        http::beacon(&self.url, body)
    }

    fn fire(&self, body: &str) {
        http::fire(&self.url, body);
    }

    fn warn(&self, why: &str) {
        console::warn(why);
    }
}
