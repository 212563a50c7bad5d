//! Requests to the tracking API and their answers. Each request in flight (or waiting for a
//! retry) has a slot here: what it is, how often this page tried it, and who waits for the
//! result. The answer comes back through `task` as `Response`, then `Body` (or `Failed`).
//!
//! Requests go out with `keepalive`, so a page that navigates away right after `signup()`
//! does not cancel them (web-sys has no setter for it: the options are written as JSON).

use crate::json::Obj;
use crate::page::{self, get};
use crate::task::{self, Task};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use js_sys::{Array, Function, JSON, Promise};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch(url: &str, init: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = navigator, js_name = sendBeacon)]
    fn send_beacon(url: &str, data: &JsValue) -> Result<bool, JsValue>;
    type Blob;
    #[wasm_bindgen(constructor, js_class = "Blob")]
    fn new(parts: &Array, options: &JsValue) -> Blob;
    /// A Promise, or anything else with a `then`.
    pub type Thenable;
    #[wasm_bindgen(method, js_name = then)]
    pub fn then(this: &Thenable, ok: &JsValue, failed: &JsValue) -> JsValue;
    type Response;
    #[wasm_bindgen(method, getter)]
    fn status(this: &Response) -> u16;
    #[wasm_bindgen(method, catch)]
    fn text(this: &Response) -> Result<Thenable, JsValue>;
    type Headers;
    #[wasm_bindgen(method, getter)]
    fn headers(this: &Response) -> Headers;
    #[wasm_bindgen(method, catch)]
    fn get(this: &Headers, name: &str) -> Result<Option<String>, JsValue>;
}

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Kind {
    Lead,
    Click,
}

/// A request this page is sending.
pub struct Request {
    pub kind: Kind,
    /// A lead: its outbox entry id. A click: the landing page's URL.
    pub id: String,
    /// A click's body (a lead's is in the outbox).
    pub body: String,
    /// Attempts in this page.
    pub tries: u32,
    /// A lead: attempts in all pages, this one included (from the outbox).
    pub attempts: u32,
    /// Resolves the caller's promise, once.
    pub answer: Option<Function>,
    status: u16,
    retry_after: Option<String>,
}

/// What the API answered: status 0 is no answer at all.
pub struct Reply {
    pub status: u16,
    /// The JSON body, or `undefined` when it was empty or not JSON.
    pub body: JsValue,
    /// The `Retry-After` header, as sent.
    pub retry_after: Option<String>,
}

impl Reply {
    /// A string field of the body (`error`, `message`…).
    pub fn text(&self, field: &str) -> Option<String> {
        get(&self.body, field).as_string()
    }

    pub fn flag(&self, field: &str) -> bool {
        get(&self.body, field).as_bool() == Some(true)
    }
}

struct Slots(RefCell<Vec<Request>>);
// SAFETY: wasm32-unknown-unknown (without the atomics feature) runs on one thread.
unsafe impl Sync for Slots {}
static SLOTS: Slots = Slots(RefCell::new(Vec::new()));

/// Keeps a new request; returns its slot.
pub fn add(kind: Kind, id: String, body: String, answer: Option<Function>) -> u32 {
    let Ok(mut slots) = SLOTS.0.try_borrow_mut() else {
        return u32::MAX;
    };
    slots.push(Request {
        kind,
        id,
        body,
        tries: 0,
        attempts: 0,
        answer,
        status: 0,
        retry_after: None,
    });
    slots.len() as u32 - 1
}

/// Runs `f` on the request in `slot`.
pub fn with<R>(slot: u32, f: impl FnOnce(&mut Request) -> R) -> Option<R> {
    SLOTS.0.try_borrow_mut().ok()?.get_mut(slot as usize).map(f)
}

/// Gives the result `f` makes to whoever waits on `slot`, once. The result object is only
/// built when someone waits: leads sent from the outbox, and a landing page's click, have no one.
pub fn tell(slot: u32, f: impl FnOnce() -> JsValue) {
    if let Some(resolve) = with(slot, |r| r.answer.take()).flatten() {
        let _ = resolve.call1(&JsValue::UNDEFINED, &f());
    }
}

const KEEPALIVE_MAX: usize = 60_000;

/// POSTs `body` to `url` for `slot`; the answer arrives as `Response`/`Body` or `Failed`.
/// Returns the request's promise (settled when the answer's headers are in, never rejected).
pub fn post(url: &str, body: &str, slot: u32) -> JsValue {
    // Browsers refuse keepalive bodies over 64 KiB; such a (very rare) lead goes out plainly.
    // The API needs no cookies; a first-party proxy must not receive the site's session.
    let init = page::parse(
        &Obj::new()
            .str("method", "POST")
            .raw("headers", r#"{"Content-Type":"application/json"}"#)
            .str("body", body)
            .bool("keepalive", body.len() < KEEPALIVE_MAX)
            .str("credentials", "omit")
            .end(),
    );
    match fetch(url, &init) {
        Ok(p) => p.unchecked_into::<Thenable>().then(
            &task::callback(Task::Response, slot),
            &task::callback(Task::Failed, slot),
        ),
        Err(_) => {
            task::later(0, Task::Failed, slot);
            JsValue::UNDEFINED
        }
    }
}

/// The headers are in: note the status, and read the body.
pub fn response(slot: u32, resp: JsValue) {
    let resp: Response = resp.unchecked_into();
    let (status, retry_after) = (
        resp.status(),
        resp.headers().get("Retry-After").ok().flatten(),
    );
    with(slot, |r| {
        r.status = status;
        r.retry_after = retry_after;
    });
    let done = task::callback(Task::Body, slot);
    match resp.text() {
        Ok(p) => {
            p.then(&done, &done);
        }
        Err(_) => task::later(0, Task::Body, slot),
    }
}

/// The answer to the request in `slot`, complete (`text` is its body, if it could be read),
/// or a failure without one (`failed`).
pub fn reply(slot: u32, text: &JsValue, failed: bool) -> Reply {
    let (status, retry_after) = if failed {
        (0, None)
    } else {
        with(slot, |r| (r.status, r.retry_after.take())).unwrap_or((0, None))
    };
    let body = text
        .as_string()
        .and_then(|t| JSON::parse(&t).ok())
        .unwrap_or(JsValue::UNDEFINED);
    Reply {
        status,
        body,
        retry_after,
    }
}

/// Can a fetch outlive its page here? (Firefox before 133 has no `keepalive`.)
pub fn keepalive_supported() -> bool {
    let proto = get(&page::global("Request"), "prototype");
    proto.is_object() && js_sys::Reflect::has(&proto, &"keepalive".into()).unwrap_or(false)
}

/// Queues `body` with `navigator.sendBeacon`, for a page that is going away in a browser
/// without keepalive. The answer is never seen: the outbox entry stays until a later attempt
/// confirms it.
pub fn beacon(url: &str, body: &str) -> bool {
    let options = page::parse(r#"{"type":"application/json"}"#);
    let blob = Blob::new(&Array::of1(&body.into()), &options);
    send_beacon(url, &blob).unwrap_or(false)
}
