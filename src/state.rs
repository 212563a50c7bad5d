//! What the tracker knows for the life of the page, set once by `start`.

use crate::config::{Config, Timings};
use alloc::string::String;
use core::cell::{Cell, OnceCell};
use core::ops::Deref;

pub struct Page {
    pub config: Config,
    pub timings: Timings,
    /// One id per page load (docs/contract.md §4 `session_id`); the owner of the outbox entries
    /// this page holds.
    pub session_id: String,
    /// Numbers this page's outbox entries.
    entries: Cell<u32>,
    /// The page is going (`pagehide` fired, and no `pageshow` since).
    pub hiding: Cell<bool>,
    /// The page's Content-Security-Policy refused a request to the API.
    pub api_blocked: Cell<bool>,
    /// `forget()` ran: the tracker writes and sends nothing more on this page.
    pub stopped: Cell<bool>,
}

impl Page {
    pub fn new(config: Config, timings: Timings, session_id: String) -> Page {
        Page {
            config,
            timings,
            session_id,
            entries: Cell::new(0),
            hiding: Cell::new(false),
            api_blocked: Cell::new(false),
            stopped: Cell::new(false),
        }
    }

    /// The next outbox entry number of this page.
    pub fn next_entry(&self) -> u32 {
        self.entries.set(self.entries.get() + 1);
        self.entries.get()
    }
}

/// A `static` of the module's, which a single-threaded wasm module may share.
pub struct Local<T>(pub T);
// SAFETY: wasm32-unknown-unknown (without the atomics feature) runs on one thread.
unsafe impl<T> Sync for Local<T> {}

impl<T> Deref for Local<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

static PAGE: Local<OnceCell<Page>> = Local(OnceCell::new());

/// Sets the page's state; false if `start` already ran.
pub fn init(page: Page) -> bool {
    PAGE.set(page).is_ok()
}

/// Whether `forget()` stopped the tracker on this page.
pub fn stopped() -> bool {
    page().is_some_and(|p| p.stopped.get())
}

/// The page's state, once `start` has run.
pub fn page() -> Option<&'static Page> {
    PAGE.get()
}
