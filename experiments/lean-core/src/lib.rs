//! A measurement fixture, not shipped: the tracker core of issue #2 alone (config, `signup`
//! with its checks, the lead request and its answer, the queue, `getClickId`, `getData`), on
//! the shipped crate's own `arg`, `config`, `cookie`, `json`, `lead` and `text` modules, with
//! the browser glue written anew as leanly as we know. No click capture, outbox, retries,
//! timeout, locks or replay of early calls. `node measure.mjs` builds it like the real tracker
//! and prints its size, to compare with `npm run size`.
#![no_std]
#![allow(dead_code)]
extern crate alloc;

#[path = "../../../src/arg.rs"]
mod arg;
#[path = "../../../src/config.rs"]
mod config;
#[path = "../../../src/cookie.rs"]
mod cookie;
#[path = "../../../src/json.rs"]
mod json;
#[path = "../../../src/lead.rs"]
mod lead;
#[path = "../../../src/text.rs"]
mod text;

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use js_sys::{Array, Function};
use json::Obj;
use lead::{Email, Lead};
use text::cat;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[global_allocator]
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: one thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL: JsValue;
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = get)]
    fn reflect_get(o: &JsValue, k: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(p: &str, m: &str);
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    fn console_warn(p: &str, m: &str);
    #[wasm_bindgen(js_namespace = console, js_name = log)]
    fn console_log(p: &str, m: &str, v: &JsValue);
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch(url: &str, init: &JsValue) -> Result<Thenable, JsValue>;
    type Thenable;
    #[wasm_bindgen(method)]
    fn then(this: &Thenable, a: &JsValue, b: &JsValue) -> Thenable;
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    fn json_parse(v: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_name = decodeURIComponent)]
    fn decode_uri(s: &str) -> Result<String, JsValue>;
    type Element;
    #[wasm_bindgen(method, js_name = getAttribute)]
    fn get_attribute(this: &Element, n: &str) -> Option<String>;
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &JsValue, ms: u32);
    type Response;
    #[wasm_bindgen(method, getter)]
    fn status(this: &Response) -> u16;
    #[wasm_bindgen(method, catch)]
    fn text(this: &Response) -> Result<Thenable, JsValue>;
}

struct Local<T>(RefCell<T>);
// SAFETY: one thread.
unsafe impl<T> Sync for Local<T> {}

struct State {
    config: Option<config::Config>,
    session_id: String,
    wake: Option<Function>,
    /// Each request's caller and status, by slot.
    slots: Vec<(Option<Function>, u16)>,
}

static STATE: Local<State> = Local(RefCell::new(State {
    config: None,
    session_id: String::new(),
    wake: None,
    slots: Vec::new(),
}));

const P: &str = "[Affitor]";

fn debug(m: &str, v: &JsValue) {
    let on = STATE.0.borrow().config.as_ref().is_some_and(|c| c.debug);
    if on {
        console_log(P, m, v);
    }
}

fn get(o: &JsValue, k: &str) -> JsValue {
    reflect_get(o, k).unwrap_or(JsValue::UNDEFINED)
}

fn global_text(o: &str, k: &str) -> String {
    GLOBAL
        .with(|g| get(&get(g, o), k))
        .as_string()
        .unwrap_or_default()
}

fn decode(raw: &str) -> String {
    decode_uri(raw).unwrap_or_else(|_| String::from(raw))
}

fn parse(json: &str) -> JsValue {
    json_parse(json).unwrap_or(JsValue::UNDEFINED)
}

fn callback(task: u32, slot: u32) -> JsValue {
    let s = STATE.0.borrow();
    s.wake
        .as_ref()
        .map(|w| w.bind2(&JsValue::NULL, &task.into(), &slot.into()).into())
        .unwrap_or_default()
}

#[wasm_bindgen]
pub fn start(script: JsValue, queue: JsValue, wake: Function) {
    let tag = get(&script, "getAttribute")
        .is_function()
        .then(|| script.unchecked_ref::<Element>());
    let global = arg::decimal_or_text(&GLOBAL.with(|g| get(g, "AFFITOR_PROGRAM_ID")));
    let (config, problems) = config::parse(|n| tag.and_then(|t| t.get_attribute(n)), global);
    for p in &problems {
        match p {
            config::Problem::MissingProgramId => console_error(P, &p.message()),
            _ => console_warn(P, &p.message()),
        }
    }
    {
        let mut s = STATE.0.borrow_mut();
        s.config = Some(config);
        s.session_id = String::from("s_");
        text::push_digits(&mut s.session_id, js_sys::Date::now() as u64, 36);
        s.session_id.push('_');
        text::push_digits(
            &mut s.session_id,
            (js_sys::Math::random() * 1e12) as u64,
            36,
        );
        s.wake = Some(wake);
    }
    if let Some(q) = queue.dyn_ref::<Array>() {
        let entries = q.slice(0, q.length());
        q.set_length(0);
        for e in entries.iter() {
            run(e);
        }
    } else if !queue.is_undefined() && !queue.is_null() {
        console_warn(P, "window.affitorQueue is not an array");
    }
}

#[wasm_bindgen]
pub fn run(entry: JsValue) {
    let e = entry.dyn_ref::<Array>();
    match e.filter(|e| e.get(0).as_string().as_deref() == Some("signup")) {
        Some(e) => signup(e.get(1), e.get(2), None),
        None => console_warn(
            P,
            "skipped an affitorQueue entry: expected ['signup', customerKey, email]",
        ),
    }
}

fn give(resolve: Option<Function>, v: &JsValue) {
    if let Some(r) = resolve {
        let _ = r.call1(&JsValue::UNDEFINED, v);
    }
}

fn failure(status: u16, error: &str) -> JsValue {
    let mut o = Obj::new().bool("ok", false);
    if status > 0 {
        o = o.num("status", status as u64);
    }
    parse(&o.str("error", error).end())
}

#[wasm_bindgen]
pub fn signup(key: JsValue, email: JsValue, resolve: Option<Function>) {
    let key = match lead::customer_key(arg::classify(&key, lead::KEY_MAX)) {
        Ok(k) => k,
        Err(m) => {
            console_error(P, m);
            return give(resolve, &failure(0, m));
        }
    };
    let email = match lead::email(arg::classify(&email, lead::EMAIL_MAX)) {
        Email::Valid(e) => Some(e),
        Email::Absent => None,
        Email::Dropped(why) => {
            console_warn(P, why);
            None
        }
    };
    let jar = global_text("document", "cookie");
    let click_id = cookie::click_id(&jar).map(decode);
    let ids = cookie::find(&jar, cookie::CLICK_IDS)
        .map(decode)
        .unwrap_or_default();
    let (url, body) = {
        let s = STATE.0.borrow();
        let Some(c) = s.config.as_ref() else {
            return give(resolve, &failure(0, "the tracker has not started"));
        };
        let body = Lead {
            click_id: click_id.as_deref(),
            customer_key: &key,
            email: email.as_deref(),
            click_ids: &cookie::history(&ids),
            program_id: c.program_id.as_deref(),
            page_url: &global_text("location", "href"),
            session_id: &s.session_id,
            test_mode: c.test_mode,
        }
        .body();
        (cat(&[&c.api_base, "/api/v1/track/lead"]), body)
    };
    debug("sending lead", &JsValue::from_str(&body));
    let init = parse(
        &Obj::new()
            .str("method", "POST")
            .raw("headers", r#"{"Content-Type":"application/json"}"#)
            .str("body", &body)
            .bool("keepalive", body.len() < 60_000)
            .str("credentials", "omit")
            .end(),
    );
    let slot = {
        let mut s = STATE.0.borrow_mut();
        s.slots.push((resolve, 0));
        s.slots.len() as u32 - 1
    };
    match fetch(&url, &init) {
        Ok(p) => {
            p.then(&callback(1, slot), &callback(2, slot));
        }
        Err(_) => set_timeout(&callback(2, slot), 0),
    }
}

/// 1: the response's headers are in; 2: the request failed; 3: the body has been read.
#[wasm_bindgen]
pub fn wake(task: u32, slot: u32, v: JsValue) {
    if task == 1 {
        let r: Response = v.unchecked_into();
        let status = r.status();
        if let Some(s) = STATE.0.borrow_mut().slots.get_mut(slot as usize) {
            s.1 = status;
        }
        let done = callback(3, slot);
        match r.text() {
            Ok(t) => {
                t.then(&done, &done);
            }
            Err(_) => set_timeout(&done, 0),
        }
        return;
    }
    let Some((resolve, status)) = STATE
        .0
        .borrow_mut()
        .slots
        .get_mut(slot as usize)
        .map(|s| (s.0.take(), s.1))
    else {
        return;
    };
    let status = if task == 3 { status } else { 0 };
    let body = v.as_string().map(|t| parse(&t)).unwrap_or_default();
    let result = if (200..300).contains(&status) {
        debug("lead delivered", &JsValue::from(status));
        parse(
            &Obj::new()
                .bool("ok", true)
                .num("status", status as u64)
                .end(),
        )
    } else {
        let why = get(&body, "error")
            .as_string()
            .unwrap_or_else(|| String::from("the lead could not be sent"));
        console_error(P, &cat(&["lead not recorded: ", &why]));
        failure(status, &why)
    };
    give(resolve, &result);
}

#[wasm_bindgen(js_name = getClickId)]
pub fn get_click_id() -> JsValue {
    cookie::click_id(&global_text("document", "cookie"))
        .map(decode)
        .map_or(JsValue::NULL, JsValue::from)
}

#[wasm_bindgen(js_name = getData)]
pub fn get_data() -> JsValue {
    let jar = global_text("document", "cookie");
    let click_id = cookie::click_id(&jar).map(decode);
    let aff = cookie::find(&jar, cookie::AFF_URL).map(decode);
    let s = STATE.0.borrow();
    let program_id = s.config.as_ref().and_then(|c| c.program_id.as_deref());
    parse(
        &Obj::new()
            .opt_str("clickId", click_id.as_deref())
            .raw("programId", program_id.unwrap_or("null"))
            .bool("hasAttribution", click_id.is_some())
            .opt_str("affiliateUrl", aff.as_deref())
            .end(),
    )
}
