//! The thin glue between the tracker and the browser: every call into the page or its APIs goes
//! through here. What it reads from the page it reads defensively: a getter that throws, a
//! Proxy, a sandboxed frame's blocked storage all read as "nothing there", never as an
//! exception unwinding through the wasm (which has no unwinding: it would leak wasm stack).

pub mod console;
pub mod events;
pub mod http;
pub mod js;
pub mod locks;
pub mod page;
pub mod storage;
pub mod task;
pub mod timer;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// A JavaScript exception or refusal from a browser API, as caught at the boundary.
#[derive(Debug, Clone)]
pub struct Error(pub JsValue);

impl From<JsValue> for Error {
    fn from(v: JsValue) -> Self {
        Error(v)
    }
}

impl From<Error> for JsValue {
    fn from(e: Error) -> Self {
        e.0
    }
}

/// The page's `window` (the loader runs the tracker in pages only).
pub fn window() -> Option<web_sys::Window> {
    Some(global().unchecked_into())
}

/// `globalThis`: js-sys's lookup, which wasm-bindgen-futures links in anyway (its task queue
/// looks for `queueMicrotask` there), rather than an import of its own.
pub fn global() -> JsValue {
    js_sys::global().into()
}

/// Milliseconds since the epoch.
pub fn now() -> f64 {
    js_sys::Date::now()
}

/// `Math.random()`.
pub fn random() -> f64 {
    js_sys::Math::random()
}

/// A `static` of the module's, which a single-threaded wasm module may share.
pub struct Local<T>(pub T);
// SAFETY: wasm32-unknown-unknown (without the atomics feature) runs on one thread.
unsafe impl<T> Sync for Local<T> {}

impl<T> core::ops::Deref for Local<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}
