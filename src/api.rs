//! The functions the loader installs on `window.affitor` (CONTRACT.md §2).
//! None of them throws, and every Promise they return resolves, never rejects.

use crate::config::{self, Problem};
use crate::lead::{self, Arg, Email, Lead};
use crate::net::{self, Reply};
use crate::state::{self, Tracker};
use crate::text::cat;
use crate::{cookie, id, log, page, queue};
use alloc::boxed::Box;
use alloc::string::String;
use js_sys::{Function, JsString, Math, Object, Promise};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Reads the script tag's configuration and runs the calls queued before the tracker loaded.
#[wasm_bindgen]
pub fn start(script: JsValue, queue: JsValue) {
    let global_id = decimal_or_text(&page::global("AFFITOR_PROGRAM_ID"));
    let (config, problems) = config::parse(|name| page::attribute(&script, name), global_id);
    log::set_debug(config.debug);
    for p in &problems {
        match p {
            Problem::MissingProgramId => log::error(&p.message()),
            _ => log::warn(&p.message()),
        }
    }
    let session_id = id::session_id(page::now(), Math::random(), Math::random());
    log::debug("tracker started", &summary(&config, &session_id));
    state::init(Tracker { config, session_id });
    queue::drain(&queue);
}

/// `affitor.signup(customerKey, email?)`: sends the lead and resolves to a result object.
#[wasm_bindgen]
pub fn signup(customer_key: JsValue, email: JsValue) -> Promise {
    let (promise, resolve) = pending();
    let answer = move |r: Object| {
        let _ = resolve.call1(&JsValue::UNDEFINED, &r);
    };
    let Some(sent) = state::with(|t| prepare(t, &customer_key, &email)) else {
        answer(failure(None, "the tracker has not started"));
        return promise;
    };
    match sent {
        Err(msg) => {
            log::error(msg);
            answer(failure(None, msg));
        }
        Ok((url, body)) => {
            log::debug("sending lead", &JsValue::from_str(&body));
            net::post_json(&url, &body, Box::new(move |r| answer(lead_result(r))));
        }
    }
    promise
}

/// Runs one `affitorQueue` entry pushed after the tracker loaded.
#[wasm_bindgen]
pub fn run(entry: JsValue) {
    queue::run(&entry);
}

/// `affitor.getClickId()`: the stored click id, or `null`.
#[wasm_bindgen(js_name = getClickId)]
pub fn get_click_id() -> JsValue {
    cookie::click_id(&page::cookies()).map_or(JsValue::NULL, JsValue::from)
}

/// `affitor.getData()`: `{ clickId, programId, hasAttribution, affiliateUrl }`.
#[wasm_bindgen(js_name = getData)]
pub fn get_data() -> Object {
    let jar = page::cookies();
    let click_id = cookie::click_id(&jar);
    let program_id = state::with(|t| t.config.program_id.clone()).flatten();
    let data = Object::new();
    page::set(&data, "hasAttribution", &click_id.is_some().into());
    page::set(&data, "clickId", &opt(click_id));
    page::set(&data, "programId", &opt(program_id));
    page::set(
        &data,
        "affiliateUrl",
        &opt(cookie::get(&jar, cookie::AFF_URL)),
    );
    data
}

/// Checks the arguments and writes the request, or says why there is none.
fn prepare(t: &Tracker, key: &JsValue, email: &JsValue) -> Result<(String, String), &'static str> {
    let customer_key = lead::customer_key(arg(key, lead::KEY_MAX))?;
    let email = match lead::email(arg(email, lead::EMAIL_MAX)) {
        Email::Valid(e) => Some(e),
        Email::Absent => None,
        Email::Dropped(why) => {
            log::warn(why);
            None
        }
    };
    let jar = page::cookies();
    let click_id = cookie::click_id(&jar);
    let click_ids = cookie::history(&jar);
    let body = Lead {
        click_id: click_id.as_deref(),
        customer_key: &customer_key,
        email: email.as_deref(),
        click_ids: &click_ids,
        program_id: t.config.program_id.as_deref(),
        page_url: &page::href(),
        session_id: &t.session_id,
        test_mode: t.config.test_mode,
    }
    .body();
    let url = cat(&[&t.config.api_base, "/api/v1/track/lead"]);
    Ok((url, body))
}

fn lead_result(r: Result<Reply, JsValue>) -> Object {
    match r {
        Err(e) => {
            log::warn("the lead could not be sent: network error");
            log::debug("network error", &e);
            failure(None, "network error")
        }
        Ok(reply) if (200..300).contains(&reply.status) => {
            log::debug("lead accepted", &reply.body);
            let o = result(true, Some(reply.status));
            if reply.flag("provisional") {
                page::set(&o, "provisional", &JsValue::TRUE);
            }
            if let Some(m) = reply.text("message") {
                page::set(&o, "message", &m.into());
            }
            o
        }
        Ok(reply) => {
            let why = reply
                .text("error")
                .or_else(|| reply.text("message"))
                .unwrap_or_else(|| String::from("the API refused the lead"));
            log::error(&cat(&["lead refused: ", &why]));
            failure(Some(reply.status), &why)
        }
    }
}

/// A JavaScript argument, classified without calling into it (no `toString`, no getters).
fn arg(v: &JsValue, max_len: u32) -> Arg {
    if v.is_undefined() || v.is_null() {
        Arg::Missing
    } else if let Some(s) = v.dyn_ref::<JsString>() {
        if s.length() > max_len {
            Arg::TooLong
        } else {
            Arg::Text(s.into())
        }
    } else {
        match decimal(v) {
            Some(n) => Arg::Number(n),
            None => Arg::Other("not a string"),
        }
    }
}

/// A finite number in JavaScript's own decimal notation (no float formatting in the wasm).
fn decimal(v: &JsValue) -> Option<String> {
    v.as_f64()
        .filter(|n| n.is_finite())
        .map(|_| page::js_string(v))
}

fn decimal_or_text(v: &JsValue) -> Option<String> {
    v.as_string().or_else(|| decimal(v))
}

fn opt(v: Option<String>) -> JsValue {
    v.map_or(JsValue::NULL, JsValue::from)
}

/// A Promise and the function that resolves it.
fn pending() -> (Promise, Function) {
    let mut resolve = None;
    let promise = Promise::new(&mut |res, _| resolve = Some(res));
    (
        promise,
        resolve.unwrap_or_else(|| JsValue::UNDEFINED.unchecked_into()),
    )
}

fn result(ok: bool, status: Option<u16>) -> Object {
    let o = Object::new();
    page::set(&o, "ok", &ok.into());
    if let Some(s) = status {
        page::set(&o, "status", &s.into());
    }
    o
}

fn failure(status: Option<u16>, error: &str) -> Object {
    let o = result(false, status);
    page::set(&o, "error", &error.into());
    o
}

fn summary(c: &config::Config, session_id: &str) -> Object {
    let o = Object::new();
    page::set(&o, "programId", &opt(c.program_id.clone()));
    page::set(&o, "apiBase", &c.api_base.as_str().into());
    page::set(&o, "testMode", &c.test_mode.into());
    page::set(&o, "sessionId", &session_id.into());
    o
}
