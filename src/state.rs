//! What the tracker knows for the life of the page, set once by `start`.

use crate::browser::{self, Local, js, page};
use crate::config::{self, Config, Problem, Timings};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, OnceCell};
use wasm_bindgen::JsValue;

pub struct Page {
    pub config: Config,
    pub timings: Timings,
    /// One id per page load (docs/contract.md §4 `session_id`); the owner of the outbox entries
    /// this page holds.
    pub session_id: String,
    /// The page's Content-Security-Policy refused a request to the API.
    pub api_blocked: Cell<bool>,
}

impl Page {
    pub fn new(config: Config, timings: Timings, session_id: String) -> Page {
        Page {
            config,
            timings,
            session_id,
            api_blocked: Cell::new(false),
        }
    }
}

/// The tag's settings (its `data-affitor-*` attributes, else `window.AFFITOR_PROGRAM_ID` for
/// the program id), and what is wrong with them.
pub fn settings(tag: &JsValue) -> (Config, Vec<Problem>) {
    let global_id = page::global("AFFITOR_PROGRAM_ID");
    let global_id = global_id.as_string().or_else(|| js::decimal(&global_id));
    config::parse(|name| page::attribute(tag, name), global_id)
}

static PAGE: Local<OnceCell<Page>> = Local(OnceCell::new());

/// Sets the page's state; false if `start` already ran.
pub fn init(page: Page) -> bool {
    PAGE.set(page).is_ok()
}

/// Whether `forget()` stopped the tracker on this page (the glue holds the switch: it is what
/// refuses to write or start work from then on).
pub fn stopped() -> bool {
    browser::task::stopped()
}

/// The page's state, once `start` has run.
pub fn page() -> Option<&'static Page> {
    PAGE.get()
}
