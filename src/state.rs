//! What the tracker knows for the life of the page, set once by `start`.

use crate::config::Config;
use core::cell::{Cell, RefCell};

pub struct Tracker {
    pub config: Config,
    /// One id per page load (CONTRACT.md §4 `session_id`).
    pub session_id: &'static str,
    /// The same, as a JavaScript string: the owner of the outbox entries this page holds.
    pub me: wasm_bindgen::JsValue,
    /// Numbers this page's outbox entries.
    pub entries: Cell<u32>,
    /// A click request is on its way: a signup waits for its click id.
    pub clicking: Cell<bool>,
    /// The page is going (`pagehide` has fired).
    pub hiding: Cell<bool>,
    /// When a request last failed without an answer (ms since the epoch).
    pub net_error_at: Cell<f64>,
    /// The module's `wake` export, which every callback binds (see `task`).
    pub wake: js_sys::Function,
}

/// A `static` of the module's: a `RefCell`, which a single-threaded wasm module may share.
pub struct Local<T>(pub RefCell<T>);
// SAFETY: wasm32-unknown-unknown (without the atomics feature) runs on one thread.
unsafe impl<T> Sync for Local<T> {}

static TRACKER: Local<Option<Tracker>> = Local(RefCell::new(None));

pub fn init(t: Tracker) {
    if let Ok(mut slot) = TRACKER.0.try_borrow_mut() {
        *slot = Some(t);
    }
}

/// The next outbox entry number of this page.
pub fn next_entry() -> u32 {
    with(|t| {
        let n = t.entries.get() + 1;
        t.entries.set(n);
        n
    })
    .unwrap_or(0)
}

/// Runs `f` with the tracker, if `start` has run.
pub fn with<R>(f: impl FnOnce(&Tracker) -> R) -> Option<R> {
    TRACKER.0.try_borrow().ok()?.as_ref().map(f)
}

pub fn clicking() -> bool {
    with(|t| t.clicking.get()).unwrap_or(false)
}

pub fn set_clicking(on: bool) {
    with(|t| t.clicking.set(on));
}

pub fn hiding() -> bool {
    with(|t| t.hiding.get()).unwrap_or(false)
}

pub fn net_error_at() -> f64 {
    with(|t| t.net_error_at.get()).unwrap_or(0.0)
}

pub fn session_id() -> &'static str {
    with(|t| t.session_id).unwrap_or_default()
}
