//! Requests to the tracking API: `fetch` with `keepalive` (so a page that navigates away right
//! after `signup()` does not cancel them), and `sendBeacon` where there is no keepalive.

use super::Local;
use super::{js, timer};
use alloc::string::String;
use core::cell::Cell;
use js_sys::{JsString, Object, Promise};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    // Hand-declared: web-sys's `fetch_with_str_and_init` is not `catch`, and a page may wrap
    // `fetch` in something that throws, returns no promise, or never settles.
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch(url: &str, init: &Object) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = navigator, js_name = sendBeacon)]
    fn send_beacon(url: &str, data: &str) -> Result<bool, JsValue>;
}

/// What the API answered: status 0 is no answer at all.
pub struct Reply {
    pub status: u16,
    /// The JSON body, or `undefined` when it was empty or not JSON.
    pub body: JsValue,
    /// The `Retry-After` header, where the API lets the page read it.
    pub retry_after: Option<String>,
}

impl Reply {
    const NONE: Reply = Reply {
        status: 0,
        body: JsValue::UNDEFINED,
        retry_after: None,
    };

    /// A string field of the body (`error`, `message`…).
    pub fn text(&self, field: &str) -> Option<String> {
        js::get(&self.body, field).as_string()
    }

    pub fn flag(&self, field: &str) -> bool {
        js::get(&self.body, field).as_bool() == Some(true)
    }
}

/// A request that has not answered within this long counts as failed (it may still arrive).
const REQUEST_TIMEOUT_MS: u32 = 30_000;
/// In UTF-16 units: up to 60 KB of UTF-8 even if every unit took three bytes. Browsers refuse
/// keepalive bodies over 64 KiB; such a (very rare) body goes out without it.
const KEEPALIVE_MAX: u32 = 20_000;

/// POSTs the JSON `body` to `url`. `cookies`: whether the request carries the page's cookies
/// to its own origin (see [`options`]).
pub async fn post(url: &str, body: &str, cookies: bool) -> Reply {
    timer::within(REQUEST_TIMEOUT_MS, send(url, body, cookies))
        .await
        .unwrap_or(Reply::NONE)
}

async fn send(url: &str, body: &str, cookies: bool) -> Reply {
    let Some((promise, _charge)) = start(url, body, cookies) else {
        return Reply::NONE;
    };
    let Some(resp) = JsFuture::from(promise)
        .await
        .ok()
        .and_then(|r| r.dyn_into::<web_sys::Response>().ok())
    else {
        return Reply::NONE;
    };
    let retry_after = resp.headers().get("Retry-After").ok().flatten();
    let text = match resp.text() {
        Ok(p) => JsFuture::from(p).await.unwrap_or(JsValue::UNDEFINED),
        Err(_) => JsValue::UNDEFINED,
    };
    Reply {
        status: resp.status(),
        body: js::parse(&text),
        retry_after,
    }
}

/// Starts the POST: its promise, or `None` where `fetch` threw. Whatever a page's `fetch`
/// returned is taken as the engine's own Promise takes it (`Promise.resolve`): a promise of
/// zone.js, Bluebird or a subclass is followed, never dropped (which would resend the lead), and
/// anything else settles as no answer.
fn start(url: &str, body: &str, cookies: bool) -> Option<(Promise, Charge)> {
    let body = JsString::from(body);
    let n = body.length();
    // Chromium refuses a keepalive request beyond 64 KiB of keepalive bodies in flight: a burst
    // of signups then failed as if the API could not be reached. Beyond the budget a request
    // goes without keepalive (if its page goes first, the outbox has it sent again).
    let keepalive = n <= KEEPALIVE_MAX && KEEPALIVE_IN_FLIGHT.get() + n <= KEEPALIVE_BUDGET;
    let charge = Charge(if keepalive { n } else { 0 });
    KEEPALIVE_IN_FLIGHT.set(KEEPALIVE_IN_FLIGHT.get() + charge.0);
    let sent = fetch(url, &options(&body, keepalive, cookies)).ok()?;
    Some((Promise::resolve(&sent), charge))
}

/// UTF-16 units of keepalive bodies this page has in flight, and the most it lets be (up to
/// 48 KB of UTF-8).
static KEEPALIVE_IN_FLIGHT: Local<Cell<u32>> = Local(Cell::new(0));
const KEEPALIVE_BUDGET: u32 = 16_000;

/// A request's share of [`KEEPALIVE_IN_FLIGHT`], given back when it has its answer (or none).
struct Charge(u32);

impl Drop for Charge {
    fn drop(&mut self) {
        KEEPALIVE_IN_FLIGHT.set(KEEPALIVE_IN_FLIGHT.get().saturating_sub(self.0));
    }
}

/// The request's options, on an object with no prototype: a page that sets, say,
/// `Object.prototype.mode = 'no-cors'` must not change how the tracker's requests go out.
fn options(body: &JsString, keepalive: bool, cookies: bool) -> Object {
    let bare = || Object::create(JsValue::NULL.unchecked_ref());
    let headers = bare();
    js::set(&headers, "Content-Type", &"application/json".into());
    let init = bare();
    for (k, v) in [
        ("method", "POST"),
        ("mode", "cors"),
        // The click, to a first-party endpoint (the site's own origin), needs its `Set-Cookie`
        // kept: that is how the click cookies get the program's lifetime ('same-origin' sends no
        // cookie to another origin). The lead needs no cookie anywhere: 'omit' keeps the site's
        // session cookie off it, first-party or not.
        ("credentials", if cookies { "same-origin" } else { "omit" }),
        ("cache", "no-store"),
        ("redirect", "follow"),
        ("referrerPolicy", "strict-origin-when-cross-origin"),
    ] {
        js::set(&init, k, &v.into());
    }
    js::set(&init, "headers", &headers);
    js::set(&init, "body", body);
    js::set(&init, "keepalive", &keepalive.into());
    init
}

/// POSTs `body` now, without waiting for the answer: for a page that is going, where the
/// request must leave before the page does (not on a later task). Its rejection is handled.
pub fn fire(url: &str, body: &str) {
    if let Some((sent, charge)) = start(url, body, false) {
        super::task::spawn_local(async move {
            let _ = JsFuture::from(sent).await;
            drop(charge);
        });
    }
}

/// Can a fetch outlive its page here? (Firefox before 133 has no `keepalive`.)
pub fn keepalive_supported() -> bool {
    let proto = js::get(&super::page::global("Request"), "prototype");
    proto.is_object() && js_sys::Reflect::has(&proto, &"keepalive".into()).unwrap_or(false)
}

/// Queues `body` with `navigator.sendBeacon`, for a page going away in a browser without
/// keepalive. A beacon always carries the page's cookies to the site's own origin (it has no
/// `credentials` option). A string body goes as `text/plain`, which needs no CORS preflight (an unloading
/// page cannot complete one: a JSON-typed beacon is silently lost). Its answer is never seen.
pub fn beacon(url: &str, body: &str) -> bool {
    send_beacon(url, body).unwrap_or(false)
}
