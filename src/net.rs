//! One POST of a JSON body to the tracking API, with the answer read back.
//!
//! Requests go out with `keepalive`, so a page that navigates away right after `signup()`
//! does not cancel them (web-sys has no setter for it: it is set through `Reflect`).

use crate::json::Obj;
use crate::page::{get, once};
use alloc::boxed::Box;
use alloc::string::String;
use js_sys::{Array, JSON, Promise};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::Response;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch(url: &str, init: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(catch, js_namespace = navigator, js_name = sendBeacon)]
    fn send_beacon(url: &str, data: &JsValue) -> Result<bool, JsValue>;
    type Blob;
    #[wasm_bindgen(constructor, js_class = "Blob")]
    fn new(parts: &Array, options: &JsValue) -> Blob;
    /// A Promise seen through `then(onFulfilled)`, taking a plain JS function.
    type Thenable;
    #[wasm_bindgen(method, js_name = then)]
    fn then(this: &Thenable, f: &JsValue);
}

/// What the API answered.
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

pub type Done = Box<dyn FnOnce(Result<Reply, JsValue>)>;

const KEEPALIVE_MAX: usize = 60_000;

/// Can a fetch outlive its page here? (Firefox before 133 has no `keepalive`.)
pub fn keepalive_supported() -> bool {
    let proto = get(&crate::page::global("Request"), "prototype");
    proto.is_object() && js_sys::Reflect::has(&proto, &"keepalive".into()).unwrap_or(false)
}

/// Queues `body` with `navigator.sendBeacon`, for a page that is going away in a browser
/// without keepalive. The answer is never seen: the outbox entry stays until a later attempt
/// confirms it.
pub fn beacon(url: &str, body: &str) -> bool {
    let options = crate::page::parse(r#"{"type":"application/json"}"#);
    let blob = Blob::new(&Array::of1(&body.into()), &options);
    send_beacon(url, &blob).unwrap_or(false)
}

/// POSTs `body` to `url` and calls `done` once: with the reply, or with the network error.
/// Returns the request's promise (settled when the answer's headers are in).
pub fn post_json(url: &str, body: &str, done: Done) -> Option<Promise> {
    // Browsers refuse keepalive bodies over 64 KiB; such a (very rare) lead goes out plainly.
    // The API needs no cookies; a first-party proxy must not receive the site's session.
    let init = crate::page::parse(
        &Obj::new()
            .str("method", "POST")
            .raw("headers", r#"{"Content-Type":"application/json"}"#)
            .str("body", body)
            .bool("keepalive", body.len() < KEEPALIVE_MAX)
            .str("credentials", "omit")
            .end(),
    );
    match fetch(url, &init) {
        Err(e) => {
            done(Err(e));
            None
        }
        Ok(p) => {
            settle(
                &p,
                Box::new(move |r| match r {
                    Err(e) => done(Err(e)),
                    Ok(resp) => read(resp.unchecked_into(), done),
                }),
            );
            Some(p)
        }
    }
}

fn read(resp: Response, done: Done) {
    let status = resp.status();
    let retry_after = resp.headers().get("Retry-After").ok().flatten();
    let finish = move |text: Option<String>| {
        let body = text
            .and_then(|t| JSON::parse(&t).ok())
            .unwrap_or(JsValue::UNDEFINED);
        done(Ok(Reply {
            status,
            body,
            retry_after,
        }))
    };
    match resp.text() {
        Ok(p) => settle(
            &p,
            Box::new(move |r| finish(r.ok().and_then(|t| t.as_string()))),
        ),
        Err(_) => finish(None),
    }
}

pub type Settled = Box<dyn FnOnce(Result<JsValue, JsValue>)>;

/// Calls `f` once with what the promise settles to. Rejections are handled here (through
/// `Promise.allSettled`, so one callback serves both outcomes), so none can surface as an
/// unhandled rejection in the host page.
pub fn settle(p: &Promise, f: Settled) {
    let all = Promise::all_settled(&Array::of1(p));
    all.unchecked_ref::<Thenable>()
        .then(&once(Box::new(move |outcomes| {
            let outcome = get(&outcomes, "0");
            f(
                if get(&outcome, "status").as_string().as_deref() == Some("fulfilled") {
                    Ok(get(&outcome, "value"))
                } else {
                    Err(get(&outcome, "reason"))
                },
            )
        })));
}
