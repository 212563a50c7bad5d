//! Requests to the tracking API and their answers. Each request in flight (or waiting for a
//! retry) has a slot here: what it is, how often this page tried it, and who waits for the
//! result. The answer comes back through `task` as `Response`, then `Body` (or `Failed`).
//!
//! Requests go out with `keepalive`, so a page that navigates away right after `signup()`
//! does not cancel them (web-sys has no setter for it: the options are written as JSON).

use crate::page::{self, get};
use crate::state::Local;
use crate::task::{self, Task};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{RefCell, RefMut};
use js_sys::{Array, Function, JSON, JsString, Promise};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch(url: &JsValue, init: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = navigator, js_name = sendBeacon)]
    fn send_beacon(url: &JsValue, data: &JsValue) -> Result<bool, JsValue>;
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
    pub id: JsValue,
    /// A click's body (a lead's is in the outbox).
    pub body: JsValue,
    /// Attempts in this page.
    pub tries: u32,
    /// A lead: attempts in all pages, this one included (from the outbox).
    pub attempts: u32,
    /// Resolves the caller's promise, once.
    pub answer: Option<Function>,
    status: u16,
    retry_after: Option<String>,
    /// Still being sent (or waiting for a retry); a finished request's slot is reused.
    live: bool,
    /// Counts the slot's reuses: a callback left over from an earlier occupant (a timeout
    /// that fires after the answer) names an older generation and finds nothing.
    generation: u16,
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

static SLOTS: Local<Vec<Request>> = Local(RefCell::new(Vec::new()));

/// Keeps a new request; returns its slot: an index, and the generation above bit 16.
pub fn add(kind: Kind, id: JsValue, body: JsValue, answer: Option<Function>) -> u32 {
    let Ok(mut slots) = SLOTS.0.try_borrow_mut() else {
        return u32::MAX;
    };
    let mut r = Request {
        kind,
        id,
        body,
        tries: 0,
        attempts: 0,
        answer,
        status: 0,
        retry_after: None,
        live: true,
        generation: 0,
    };
    let i = match slots.iter().position(|s| !s.live) {
        Some(i) => {
            r.generation = slots[i].generation.wrapping_add(1);
            slots[i] = r;
            i
        }
        None => {
            slots.push(r);
            slots.len() - 1
        }
    };
    i as u32 | (slots[i].generation as u32) << 16
}

/// The request in `slot`, if it is still there. (One copy of the lookup: `with` is generic.)
fn get_slot(slot: u32) -> Option<RefMut<'static, Request>> {
    let slots = SLOTS.0.try_borrow_mut().ok()?;
    RefMut::filter_map(slots, |s| {
        s.get_mut((slot & 0xffff) as usize)
            .filter(|r| r.live && r.generation as u32 == slot >> 16)
    })
    .ok()
}

/// Runs `f` on the request in `slot`, if it is still there.
pub fn with<R>(slot: u32, f: impl FnOnce(&mut Request) -> R) -> Option<R> {
    get_slot(slot).map(|mut r| f(&mut r))
}

/// The request in `slot` is finished: its slot may serve another.
pub fn done(slot: u32) {
    with(slot, |r| r.live = false);
}

/// Gives the result `f` makes to whoever waits on `slot`, once. The result object is only
/// built when someone waits: leads sent from the outbox, and a landing page's click, have no one.
pub fn tell(slot: u32, f: impl FnOnce() -> JsValue) {
    give(with(slot, |r| r.answer.take()).flatten().as_ref(), f);
}

/// Resolves a caller's promise with the result `f` makes, if there is a caller.
pub fn give(answer: Option<&Function>, f: impl FnOnce() -> JsValue) {
    if let Some(resolve) = answer {
        let _ = resolve.call1(&JsValue::UNDEFINED, &f());
    }
}

/// In UTF-16 units: up to 60 KB of UTF-8 even if every unit took three bytes.
const KEEPALIVE_MAX: u32 = 20_000;

/// POSTs `body` to `url` for `slot`; the answer arrives as `Response`/`Body` or `Failed`.
/// Returns the request's promise (settled when the answer's headers are in, never rejected).
pub fn post(url: &JsValue, body: &JsValue, slot: u32) -> JsValue {
    // The API needs no cookies; a first-party proxy must not receive the site's session.
    let init = page::parse(
        r#"{"method":"POST","headers":{"Content-Type":"application/json"},"credentials":"omit"}"#,
    );
    page::set(&init, "body", body);
    // Browsers refuse keepalive bodies over 64 KiB; such a (very rare) lead goes out plainly.
    let short = body.unchecked_ref::<JsString>().length() <= KEEPALIVE_MAX;
    page::set(&init, "keepalive", &JsValue::from_bool(short));
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
pub fn beacon(url: &JsValue, body: &JsValue) -> bool {
    let options = page::parse(r#"{"type":"application/json"}"#);
    let blob = Blob::new(&Array::of1(body), &options);
    send_beacon(url, &blob).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_slot_is_reused_and_its_old_callbacks_find_nothing() {
        let none = || JsValue::UNDEFINED;
        let a = add(Kind::Lead, none(), none(), None);
        let b = add(Kind::Click, none(), none(), None);
        assert_ne!(a, b);
        with(a, |r| r.tries = 1);
        assert_eq!(with(a, |r| r.tries), Some(1));
        done(a);
        assert!(with(a, |_| ()).is_none(), "a finished request is gone");
        let c = add(Kind::Lead, none(), none(), None);
        assert_eq!(c & 0xffff, a & 0xffff, "its slot serves the next request");
        assert!(
            with(a, |_| ()).is_none(),
            "a late timeout of the first finds nothing"
        );
        assert_eq!(with(c, |r| r.tries), Some(0));
        assert_eq!(with(b, |r| r.kind), Some(Kind::Click));
    }
}
