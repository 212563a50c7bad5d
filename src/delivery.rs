//! Getting a lead to the API exactly once: the outbox entry is written before the first
//! attempt and removed when the API has answered for good; network failures, 408, 429 and 5xx
//! are retried with backoff; a lead still unsent when the page goes is sent by the next page
//! view that loads the tracker.

use crate::backoff::{self, Verdict};
use crate::json::Obj;
use crate::net::{self, Kind, Reply, Thenable};
use crate::outbox::{self, Entry, Outbox};
use crate::task::{self, Task};
use crate::text::{cat, contains};
use crate::{id, log, page, state, store};
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, Function, Math, Promise};
use wasm_bindgen::prelude::*;

/// How long a page may hold an entry it is sending before another page may take it over.
const INFLIGHT_LEASE_MS: f64 = 15_000.0;
/// Slack on the lease of an entry waiting for a retry timer.
const WAITING_LEASE_MS: f64 = 5_000.0;
/// A page that is being left rejects its in-flight fetches a moment before or after
/// `pagehide`, although keepalive requests carry on: a network error this close to the page
/// going away says nothing about the request.
const UNLOAD_ERROR_MS: f64 = 20.0;
/// A page keeps an eye on leases that run out within this long.
const REFLUSH_WITHIN_MS: f64 = 60_000.0;

/// This page's session id, the owner of the entries it holds.
fn me() -> JsValue {
    state::with(|t| t.me.clone()).unwrap_or_default()
}

fn now() -> f64 {
    page::now()
}

/// Queues a new lead and sends it now. `answer` hears the outcome, or "queued" after
/// `timeout_ms` if the API has not answered for good by then.
pub fn send(key: &str, url: &str, body: &str, answer: Option<Function>, timeout_ms: u32) {
    let (session, now) = (state::session_id(), now() as u64);
    let id = outbox::entry_id(session, state::next_entry());
    let entry = page::parse(
        &Obj::new()
            .str("id", &id)
            .str("key", key)
            .num("created", now)
            .num("attempts", 0)
            .str("owner", session)
            .num("lease", now + INFLIGHT_LEASE_MS as u64)
            .num("waiting", 0)
            .str("url", url)
            .str("body", body)
            .end(),
    );
    let outbox = Outbox::load(now as f64);
    outbox.push(&entry);
    outbox.save();
    let slot = net::add(Kind::Lead, id.into(), JsValue::UNDEFINED, answer);
    task::later(timeout_ms, Task::Timeout, slot);
    attempt(slot);
}

/// Is this lead already delivered, or already on its way?
pub fn is_duplicate(key: &str) -> bool {
    outbox::sent_has(&sent_list(), key, now() as u64)
        || Outbox::load(now()).find("key", &key.into()).is_some()
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["navigator", "locks"], js_name = request)]
    fn lock(name: &str, options: &JsValue, callback: &JsValue) -> Result<Thenable, JsValue>;
}

/// Sends what earlier pages left in the outbox, from one tab at a time. With Web Locks, the
/// tab that gets the lock claims the entries and holds the lock until its requests have been
/// answered, so no other tab can read a stale copy of the outbox meanwhile. Without them
/// (insecure contexts, old browsers), entries are claimed and sent only if the claim still
/// holds a moment later.
pub fn flush() {
    let (me, now) = (me(), now());
    let outbox = Outbox::load(now);
    if outbox.is_empty() {
        return;
    }
    // An entry another page holds (sending it, or gone with it) is looked at again when that
    // lease runs out: an open page takes over an orphaned lead without waiting for a navigation.
    let mut next = f64::INFINITY;
    for i in 0..outbox.len() {
        let e = outbox.entry(i);
        if !e.claimable(&me, now) {
            next = next.min(e.number("lease") - now);
        }
    }
    if next <= REFLUSH_WITHIN_MS {
        task::later(next as u32 + 100, Task::Flush, 0);
    }
    match lock(
        "affitor_outbox",
        &page::parse(r#"{"ifAvailable":true}"#),
        &task::callback(Task::Locked, 0),
    ) {
        // Handled, so that a lock request cut short by the page leaving is not an unhandled rejection.
        Ok(p) => {
            let nothing = task::callback(Task::Nothing, 0);
            p.then(&nothing, &nothing);
        }
        Err(_) => {
            // Only the claims that still hold a moment later are sent: another tab may have
            // overwritten some (`attempt` checks).
            let settle_ms = 200 + (Math::random() * 300.0) as u32;
            for slot in claim() {
                task::later(settle_ms, Task::Attempt, slot);
            }
        }
    }
}

/// The outbox lock is held (or, when `held` is null, another tab has it): claims and sends,
/// and returns a promise that holds the lock until the requests have been answered.
pub fn locked(held: &JsValue) -> JsValue {
    if held.is_null() {
        return JsValue::UNDEFINED; // another tab is flushing
    }
    let answered = Array::new();
    for slot in claim() {
        answered.push(&attempt(slot));
    }
    Promise::all(&answered).into()
}

/// Takes every entry this page may send (owned by it, or with an expired lease); returns
/// their slots.
fn claim() -> Vec<u32> {
    let (me, now) = (me(), now());
    let outbox = Outbox::load(now);
    let mut slots = Vec::new();
    for i in 0..outbox.len() {
        let e = outbox.entry(i);
        if e.claimable(&me, now) {
            e.hold(&me, now + INFLIGHT_LEASE_MS);
            slots.push(net::add(Kind::Lead, e.get("id"), JsValue::UNDEFINED, None));
        }
    }
    outbox.save();
    if !slots.is_empty() {
        log::debug(
            "sending leads left by an earlier page",
            &(slots.len() as u32).into(),
        );
    }
    slots
}

/// The page is going. Entries waiting for a retry timer are handed back, so the next page view
/// sends them at once instead of waiting for this page's lease to run out. In a browser
/// without keepalive, the ones still unconfirmed go out with `sendBeacon` instead.
pub fn release() {
    let (me, now) = (me(), now());
    state::with(|t| t.hiding.set(true));
    let beacon = !net::keepalive_supported();
    let just_failed = now - state::net_error_at() < UNLOAD_ERROR_MS;
    let outbox = Outbox::load(now);
    for i in 0..outbox.len() {
        let e = outbox.entry(i);
        if !e.is_mine(&me) {
            continue;
        }
        let waiting = e.number("waiting") == 1.0;
        if beacon && net::beacon(&e.get("url"), &e.get("body")) {
            e.set("lease", now + INFLIGHT_LEASE_MS);
            e.set("attempts", e.number("attempts") + 1.0);
        } else if waiting && just_failed {
            // Probably the unload cancelling it in JavaScript, not the request failing.
            e.set("lease", now + INFLIGHT_LEASE_MS);
        } else if waiting {
            e.let_go(0.0);
        }
        e.set("waiting", 0.0);
    }
    outbox.save();
}

/// Sends the lead in `slot` now, if its entry is still this page's to send; returns the
/// request's promise.
pub fn attempt(slot: u32) -> JsValue {
    let Some(id) = net::with(slot, |r| r.id.clone()) else {
        return JsValue::UNDEFINED;
    };
    let (me, now) = (me(), now());
    // Another page may have delivered or taken the entry while this one waited.
    let outbox = Outbox::load(now);
    let e = outbox.find("id", &id).map(|i| outbox.entry(i));
    let Some(e) = e.filter(|e| e.claimable(&me, now)) else {
        net::tell(slot, queued);
        net::done(slot);
        return JsValue::UNDEFINED;
    };
    e.hold(&me, now + INFLIGHT_LEASE_MS);
    let attempts = e.number("attempts") as u32 + 1;
    e.set("attempts", attempts as f64);
    outbox.save();
    net::with(slot, |r| {
        r.tries += 1;
        r.attempts = attempts;
    });
    net::post(&e.get("url"), &e.get("body"), slot)
}

/// The API answered the lead in `slot` (or the request failed: status 0).
pub fn settled(slot: u32, reply: Reply) {
    let Some((id, attempts)) = net::with(slot, |r| (r.id.clone(), r.attempts)) else {
        return;
    };
    let status = reply.status;
    match backoff::verdict(status) {
        Verdict::Delivered => {
            delivered(&id);
            net::tell(slot, || accepted(Some(&reply)));
        }
        // An earlier attempt whose answer was lost (its page closed) did arrive.
        Verdict::Refused if attempts > 1 && already_recorded(&reply) => {
            log::debug("lead was already delivered", &id);
            delivered(&id);
            net::tell(slot, || accepted(None));
        }
        Verdict::Refused => {
            forget(&id);
            let why = reply
                .text("error")
                .or_else(|| reply.text("message"))
                .unwrap_or_else(|| String::from("the API refused the lead"));
            log::error(&cat(&["lead refused: ", &why]));
            net::tell(slot, || failure(Some(status), &why));
        }
        Verdict::Retry => return retry(slot, &id, reply),
    }
    net::done(slot);
}

fn retry(slot: u32, id: &JsValue, reply: Reply) {
    let now = now();
    if reply.status == 0 {
        state::with(|t| t.net_error_at.set(now));
        if state::hiding() {
            // The page is gone; the keepalive request may well have arrived. The entry stays
            // leased as in flight, and a later page view confirms it.
            with_entry(id, &mut |e| e.set("lease", now + INFLIGHT_LEASE_MS));
            net::done(slot);
            return;
        }
    }
    let tries = net::with(slot, |r| r.tries).unwrap_or(backoff::MAX_ATTEMPTS);
    let told = reply.retry_after.as_deref().and_then(retry_after_ms);
    let wait = told.unwrap_or_else(|| backoff::delay(tries, Math::random()));
    if tries >= backoff::MAX_ATTEMPTS || wait > backoff::MAX_WAIT_MS {
        // Leave it to the next page view; a Retry-After still holds it back until then.
        let not_before = if told.is_some() {
            now + wait as f64
        } else {
            0.0
        };
        with_entry(id, &mut |e| e.let_go(not_before));
        log::warn(
            "the tracking API is unreachable; the lead is kept and sent on the next page view",
        );
        net::tell(slot, queued);
        net::done(slot);
        return;
    }
    log::debug("retrying lead in ms", &wait.into());
    with_entry(id, &mut |e| {
        e.set("lease", now + wait as f64 + WAITING_LEASE_MS);
        e.set("waiting", 1.0);
    });
    task::later(wait, Task::Attempt, slot);
}

/// Changes one outbox entry, if it is still there.
fn with_entry(id: &JsValue, f: &mut dyn FnMut(&Entry)) {
    let outbox = Outbox::load(now());
    if let Some(i) = outbox.find("id", id) {
        f(&outbox.entry(i));
        outbox.save();
    }
}

/// Removes the entry; returns its dedupe key, if it was still there.
fn forget(id: &JsValue) -> Option<String> {
    let outbox = Outbox::load(now());
    let i = outbox.find("id", id)?;
    let key = outbox.entry(i).get("key").as_string();
    outbox.remove(i);
    outbox.save();
    key
}

fn delivered(id: &JsValue) {
    if let Some(key) = forget(id) {
        let sent = outbox::sent_add(&sent_list(), &key, now() as u64);
        store::write(outbox::SENT_KEY, &sent.into());
    }
    log::debug("lead delivered", id);
}

/// The dedupe list as stored (`outbox::sent_has` reads it).
fn sent_list() -> String {
    store::read(outbox::SENT_KEY)
        .as_string()
        .unwrap_or_default()
}

/// The API's answer to a second lead for one customer ("already has a lead", "cannot be
/// updated to lead").
fn already_recorded(reply: &Reply) -> bool {
    reply
        .text("error")
        .is_some_and(|e| contains(&e, "already") || contains(&e, "cannot be updated"))
}

/// `Retry-After` in delta-seconds or as an HTTP date.
fn retry_after_ms(header: &str) -> Option<u32> {
    backoff::retry_after_seconds(header).or_else(|| {
        let at = js_sys::Date::parse(header);
        (at.is_finite()).then(|| (at - page::now()).clamp(0.0, u32::MAX as f64) as u32)
    })
}

/// The object `signup()` resolves to (CONTRACT.md §2): `{ ok, status?, error?, ... }`.
fn result(ok: bool, status: Option<u16>) -> Obj {
    let o = Obj::new().bool("ok", ok);
    match status {
        Some(s) => o.num("status", s as u64),
        None => o,
    }
}

pub fn failure(status: Option<u16>, error: &str) -> JsValue {
    page::parse(&result(false, status).str("error", error).end())
}

/// Accepted by the tracker, not yet by the API: it is in the outbox and will be sent.
pub fn queued() -> JsValue {
    page::parse(&result(true, None).raw("queued", "true").end())
}

pub fn duplicate() -> JsValue {
    page::parse(&result(true, None).raw("duplicate", "true").end())
}

fn accepted(reply: Option<&Reply>) -> JsValue {
    let mut o = result(true, reply.map(|r| r.status));
    if let Some(r) = reply {
        if r.flag("provisional") {
            o = o.raw("provisional", "true");
        }
        if let Some(m) = r.text("message") {
            o = o.str("message", &m);
        }
    }
    page::parse(&o.end())
}

/// The dedupe fingerprint of a lead: program and customer key.
pub fn lead_key(program_id: Option<&str>, customer_key: &str) -> String {
    id::fingerprint(&[program_id.unwrap_or(""), customer_key])
}
