//! The functions the loader installs on `window.affitor` (CONTRACT.md §2).
//! None of them throws, and every Promise they return resolves, never rejects.

use crate::config::{self, Problem};
use crate::delivery;
use crate::json::Obj;
use crate::lead::{self, Email, Lead};
use crate::net::{self, Kind};
use crate::state::{self, Local, Tracker};
use crate::task::{self, Task};
use crate::text::cat;
use crate::{arg, cookie, id, log, page, queue, store, track};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use js_sys::{Array, Function, Math};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = addEventListener)]
    fn add_event_listener(kind: &str, listener: &JsValue);
}

/// Where the loader keeps calls made before the tracker ran, when the page left first.
const PENDING_KEY: &str = "affitor_pending";

/// Reads the script tag's configuration, sends what earlier pages left unsent, and runs the
/// calls queued before the tracker loaded.
///
/// `wake` is this module's exported [`wake`], as the loader sees it: every callback the
/// tracker hands to the browser is `wake` bound to a task (see `task`).
#[wasm_bindgen]
pub fn start(script: JsValue, queue: JsValue, wake: Function) {
    let global_id = arg::decimal_or_text(&page::global("AFFITOR_PROGRAM_ID"));
    let (config, problems) = config::parse(|name| page::attribute(&script, name), global_id);
    log::set_debug(config.debug);
    for p in &problems {
        match p {
            Problem::MissingProgramId => log::error(&p.message()),
            _ => log::warn(&p.message()),
        }
    }
    // Made once per page, and kept for its life.
    let session_id: &'static str =
        String::leak(id::session_id(page::now(), Math::random(), Math::random()));
    log::debug("tracker started", &summary(&config, session_id));
    state::init(Tracker {
        config,
        session_id,
        me: session_id.into(),
        entries: Cell::new(0),
        clicking: Cell::new(false),
        hiding: Cell::new(false),
        net_error_at: Cell::new(0.0),
        wake,
    });
    track::migrate_legacy();
    track::capture(page::href(), None);
    add_event_listener("pagehide", &task::callback(Task::Hide, 0));
    delivery::flush();
    run_pending();
    queue::drain(&queue);
}

/// Runs `task` for `slot`, with `value` (a timer's, a promise's or an event's); the returned
/// value is what the callback returns (the lock's promise).
#[wasm_bindgen]
pub fn wake(task: u32, slot: u32, value: JsValue) -> JsValue {
    match Task::from(task) {
        Task::Nothing => {}
        Task::Attempt => match net::with(slot, |r| r.kind) {
            Some(Kind::Click) => track::attempt(slot),
            _ => {
                delivery::attempt(slot);
            }
        },
        Task::Response => net::response(slot, value),
        t @ (Task::Failed | Task::Body) => {
            let reply = net::reply(slot, &value, t == Task::Failed);
            match net::with(slot, |r| r.kind) {
                Some(Kind::Click) => track::answered(slot, reply),
                _ => delivery::settled(slot, reply),
            }
        }
        Task::Timeout => net::tell(slot, delivery::queued),
        Task::Flush => delivery::flush(),
        Task::Locked => return delivery::locked(&value),
        Task::Hide => delivery::release(),
        Task::ClickWaitOver => click_over(),
    }
    JsValue::UNDEFINED
}

/// `affitor.signup(customerKey, email?)`: sends the lead and calls `resolve` with the result
/// object. (The loader makes the Promise around it.)
#[wasm_bindgen]
pub fn signup(customer_key: JsValue, email: JsValue, resolve: Option<Function>) {
    lead_from(&customer_key, &email, None, resolve)
}

/// `affitor.trackClick(url?)`: captures the click in `url` (default: `location.href`), for
/// single-page apps whose client-side navigation brought a new `?aff=`.
#[wasm_bindgen(js_name = trackClick)]
pub fn track_click(url: JsValue, _: JsValue, resolve: Option<Function>) {
    let url = url.as_string().unwrap_or_else(page::href);
    track::capture(url, resolve);
}

/// Runs one `affitorQueue` entry pushed after the tracker loaded.
#[wasm_bindgen]
pub fn run(entry: JsValue) {
    queue::run(&entry);
}

/// `affitor.getClickId()`: the stored click id, or `null`.
#[wasm_bindgen(js_name = getClickId)]
pub fn get_click_id() -> JsValue {
    opt(cookie::click_id(&page::cookies()).map(page::decode))
}

/// `affitor.getData()`: `{ clickId, programId, hasAttribution, affiliateUrl }`.
#[wasm_bindgen(js_name = getData)]
pub fn get_data() -> JsValue {
    let jar = page::cookies();
    let click_id = cookie::click_id(&jar).map(page::decode);
    let program_id = state::with(|t| t.config.program_id.clone()).flatten();
    let affiliate_url = page::cookie(&jar, cookie::AFF_URL);
    page::parse(
        &Obj::new()
            .opt_str("clickId", click_id.as_deref())
            .opt_str("programId", program_id.as_deref())
            .bool("hasAttribution", click_id.is_some())
            .opt_str("affiliateUrl", affiliate_url.as_deref())
            .end(),
    )
}

/// A lead from `signup()`'s arguments; `page_url` overrides `location.href` for calls made
/// on an earlier page.
fn lead_from(key: &JsValue, email: &JsValue, page_url: Option<String>, answer: Option<Function>) {
    let page_url = page_url.unwrap_or_else(page::href);
    if state::clicking() {
        // The landing page is the signup page: the lead waits (briefly) for its click id.
        if let Ok(mut waiting) = WAITING.0.try_borrow_mut() {
            if waiting.is_empty() {
                task::later(CLICK_WAIT_MS, Task::ClickWaitOver, 0);
            }
            waiting.push((key.clone(), email.clone(), page_url, answer));
            return;
        }
    }
    prepared(key, email, page_url, answer);
}

/// How long a signup waits for a click request still on its way.
const CLICK_WAIT_MS: u32 = 2_000;

type Waiting = (JsValue, JsValue, String, Option<Function>);
static WAITING: Local<Vec<Waiting>> = Local(RefCell::new(Vec::new()));

/// The landing page's click has its answer (or the signups waited long enough): they go ahead.
pub fn click_over() {
    let waiting = WAITING
        .0
        .try_borrow_mut()
        .map(|mut w| core::mem::take(&mut *w))
        .unwrap_or_default();
    for (key, email, page_url, answer) in waiting {
        prepared(&key, &email, page_url, answer);
    }
}

fn prepared(key: &JsValue, email: &JsValue, page_url: String, answer: Option<Function>) {
    let Some(prepared) = state::with(|t| prepare(t, key, email, page_url)) else {
        net::give(answer.as_ref(), || {
            delivery::failure(None, "the tracker has not started")
        });
        return;
    };
    match prepared {
        Err(msg) => {
            log::error(msg);
            net::give(answer.as_ref(), || delivery::failure(None, msg));
        }
        Ok(lead) if delivery::is_duplicate(&lead.key) => {
            log::debug(
                "this customer's lead was already sent from this browser",
                &lead.key.into(),
            );
            net::give(answer.as_ref(), delivery::duplicate);
        }
        Ok(lead) => {
            log::debug("sending lead", &JsValue::from_str(&lead.body));
            delivery::send(&lead.key, &lead.url, &lead.body, answer, lead.timeout_ms);
        }
    }
}

struct Prepared {
    key: String,
    url: String,
    body: String,
    timeout_ms: u32,
}

/// Checks the arguments and writes the request, or says why there is none.
fn prepare(
    t: &Tracker,
    key: &JsValue,
    email: &JsValue,
    page_url: String,
) -> Result<Prepared, &'static str> {
    let customer_key = lead::customer_key(arg::classify(key, lead::KEY_MAX))?;
    let email = match lead::email(arg::classify(email, lead::EMAIL_MAX)) {
        Email::Valid(e) => Some(e),
        Email::Absent => None,
        Email::Dropped(why) => {
            log::warn(why);
            None
        }
    };
    let jar = page::cookies();
    let click_id = cookie::click_id(&jar).map(page::decode);
    let click_ids = cookie::history(&page::cookie(&jar, cookie::CLICK_IDS).unwrap_or_default());
    let program_id = t.config.program_id.as_deref();
    let body = Lead {
        click_id: click_id.as_deref(),
        customer_key: &customer_key,
        email: email.as_deref(),
        click_ids: &click_ids,
        program_id,
        page_url: &page_url,
        session_id: t.session_id,
        test_mode: t.config.test_mode,
    }
    .body();
    Ok(Prepared {
        key: delivery::lead_key(program_id, &customer_key),
        url: cat(&[&t.config.api_base, "/api/v1/track/lead"]),
        body,
        timeout_ms: t.config.timeout_ms,
    })
}

/// Calls the loader saved because the page closed before the tracker ran: `[key, email, url]`.
fn run_pending() {
    let calls = page::parse_value(&store::take(PENDING_KEY));
    let Some(calls) = calls.dyn_ref::<Array>() else {
        return;
    };
    for call in calls.iter() {
        let call = Array::from(&call);
        lead_from(&call.get(0), &call.get(1), call.get(2).as_string(), None);
    }
}

fn opt(v: Option<String>) -> JsValue {
    v.map_or(JsValue::NULL, JsValue::from)
}

fn summary(c: &config::Config, session_id: &str) -> JsValue {
    page::parse(
        &Obj::new()
            .opt_str("programId", c.program_id.as_deref())
            .str("apiBase", &c.api_base)
            .bool("testMode", c.test_mode)
            .str("sessionId", session_id)
            .end(),
    )
}
