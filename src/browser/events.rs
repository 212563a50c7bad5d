//! Page events the tracker follows for the life of the page: `pagehide`, `pageshow` and
//! `securitypolicyviolation`. A [`Listener`] removes itself when dropped, as gloo-events' does.
//! And the one it dispatches: `affitor:click`, once a click id is recorded.

use alloc::boxed::Box;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::Event;

/// Tells the page's scripts that something happened, as a window event of `kind` (the React
/// entry's `useAffitor()` follows `affitor:click`). No DOM is written.
pub fn announce(kind: &str) {
    if let (Some(w), Ok(e)) = (super::window(), Event::new(kind)) {
        let _ = w.dispatch_event(&e);
    }
}

pub struct Listener {
    kind: &'static str,
    callback: Closure<dyn FnMut(Event)>,
}

impl Listener {
    /// Calls `f` on each `kind` event of the window.
    pub fn new(kind: &'static str, f: impl FnMut(Event) + 'static) -> Listener {
        Listener::boxed(kind, Box::new(f))
    }

    /// One copy of the listening code for every kind of listener.
    fn boxed(kind: &'static str, f: Box<dyn FnMut(Event)>) -> Listener {
        let callback = Closure::wrap(f);
        if let Some(w) = super::window() {
            let _ = w.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        }
        Listener { kind, callback }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(w) = super::window() {
            let _ = w.remove_event_listener_with_callback(
                self.kind,
                self.callback.as_ref().unchecked_ref(),
            );
        }
    }
}
