//! Getting a lead to the API exactly once: the outbox entry is written before the first
//! attempt and removed when the API has answered for good; network failures, 408, 429 and 5xx
//! are retried with backoff; a lead still unsent when the page goes is sent by the next page
//! view that loads the tracker.

use crate::backoff::{self, Verdict};
use crate::json::Obj;
use crate::net::{self, Reply};
use crate::outbox::{self, Entry};
use crate::text::{cat, contains};
use crate::{id, log, page, state, store};
use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;
use js_sys::{Array, Function, Math, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;

/// How long a page may hold an entry it is sending before another page may take it over.
const INFLIGHT_LEASE_MS: u64 = 15_000;
/// Slack on the lease of an entry waiting for a retry timer.
const WAITING_LEASE_MS: u64 = 5_000;
/// A page that is being left rejects its in-flight fetches a moment before or after
/// `pagehide`, although keepalive requests carry on: a network error this close to the page
/// going away says nothing about the request.
const UNLOAD_ERROR_MS: u64 = 20;
/// A page keeps an eye on leases that run out within this long.
const REFLUSH_WITHIN_MS: u64 = 60_000;

/// Resolves one `signup()` promise, once: with the API's answer, or earlier with "queued".
pub struct Answer(Cell<Option<Function>>);

impl Answer {
    pub fn new(resolve: Option<Function>) -> Rc<Answer> {
        Rc::new(Answer(Cell::new(resolve)))
    }

    pub fn give(&self, result: &JsValue) {
        if let Some(resolve) = self.0.take() {
            let _ = resolve.call1(&JsValue::UNDEFINED, result);
        }
    }
}

type Waiter = Option<Rc<Answer>>;

/// Gives `result` to whoever waits for it. The result object is only built when someone does:
/// leads sent from the outbox, and the click of a landing page, have no one waiting.
pub fn tell(answer: Option<&Rc<Answer>>, result: impl FnOnce() -> JsValue) {
    if let Some(a) = answer {
        a.give(&result());
    }
}

/// A lead this page is sending.
struct Job {
    id: String,
    key: String,
    url: String,
    body: String,
    /// Attempts in this page (the outbox counts all of them).
    tries: u32,
}

fn me() -> String {
    state::with(|t| t.session_id.clone()).unwrap_or_default()
}

fn now() -> u64 {
    page::now() as u64
}

/// Queues a new lead and sends it now. `answer` hears the outcome, or "queued" after
/// `timeout_ms` if the API has not answered for good by then.
pub fn send(key: String, url: String, body: String, answer: Rc<Answer>, timeout_ms: u32) {
    let (me, now) = (me(), now());
    let id = outbox::entry_id(&me, state::next_entry());
    let entry = Entry {
        id: id.clone(),
        key: key.clone(),
        created: now,
        attempts: 0,
        owner: me,
        lease: now + INFLIGHT_LEASE_MS,
        waiting: false,
        url: url.clone(),
        body: body.clone(),
    };
    let mut entry = Some(entry);
    store::update(&mut |entries| entries.extend(entry.take()));
    let slow = answer.clone();
    page::later(timeout_ms, Box::new(move |_| slow.give(&queued())));
    attempt(
        Job {
            id,
            key,
            url,
            body,
            tries: 0,
        },
        Some(answer),
    );
}

/// Is this lead already delivered, or already on its way?
pub fn is_duplicate(key: &str) -> bool {
    outbox::sent_has(&store::read(outbox::SENT_KEY), key, now())
        || store::entries().iter().any(|e| e.key == key)
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["navigator", "locks"], js_name = request)]
    fn lock(name: &str, options: &JsValue, callback: &JsValue) -> Result<Promise, JsValue>;
}

/// Sends what earlier pages left in the outbox, from one tab at a time. With Web Locks, the
/// tab that gets the lock claims the entries and holds the lock until its requests have been
/// answered, so no other tab can read a stale copy of the outbox meanwhile. Without them
/// (insecure contexts, old browsers), entries are claimed and sent only if the claim still
/// holds a moment later.
pub fn flush() {
    let entries = store::entries();
    if entries.is_empty() {
        return;
    }
    // An entry another page holds (sending it, or gone with it) is looked at again when that
    // lease runs out: an open page takes over an orphaned lead without waiting for a navigation.
    let (mine, now) = (me(), now());
    let next = entries
        .iter()
        .filter(|e| !e.claimable(&mine, now))
        .map(|e| e.lease - now)
        .min();
    if let Some(wait) = next.filter(|&w| w <= REFLUSH_WITHIN_MS) {
        page::later(wait as u32 + 100, Box::new(|_| flush()));
    }
    let send = Closure::once_into_js(|held: JsValue| -> JsValue {
        if held.is_null() {
            return JsValue::UNDEFINED; // another tab is flushing
        }
        let answered = Array::new();
        for job in claim() {
            if let Some(p) = attempt(job, None) {
                answered.push(&p);
            }
        }
        Promise::all_settled(&answered).into()
    });
    match lock(
        "affitor_outbox",
        &page::parse(r#"{"ifAvailable":true}"#),
        &send,
    ) {
        // Handled, so that a lock request cut short by the page leaving is not an unhandled rejection.
        Ok(p) => net::settle(&p, Box::new(|_| {})),
        Err(_) => {
            let claimed: Vec<String> = claim().into_iter().map(|j| j.id).collect();
            let settle_ms = 200 + (Math::random() * 300.0) as u32;
            page::later(
                settle_ms,
                Box::new(move |_| {
                    // Only the claims that still hold: another tab may have overwritten some.
                    let me = me();
                    for e in store::entries() {
                        if e.owner == me && claimed.contains(&e.id) {
                            attempt(job_of(e), None);
                        }
                    }
                }),
            );
        }
    }
}

fn job_of(e: Entry) -> Job {
    Job {
        id: e.id,
        key: e.key,
        url: e.url,
        body: e.body,
        tries: 0,
    }
}

/// Takes every entry this page may send: owned by it, or with an expired lease.
fn claim() -> Vec<Job> {
    let (me, now) = (me(), now());
    let mut jobs = Vec::new();
    store::update(&mut |entries| {
        for e in entries.iter_mut().filter(|e| e.claimable(&me, now)) {
            e.owner = me.clone();
            e.lease = now + INFLIGHT_LEASE_MS;
            e.waiting = false;
            jobs.push(job_of(e.clone()));
        }
    });
    if !jobs.is_empty() {
        log::debug(
            "sending leads left by an earlier page",
            &(jobs.len() as u32).into(),
        );
    }
    jobs
}

/// The page is going. Entries waiting for a retry timer are handed back, so the next page view
/// sends them at once instead of waiting for this page's lease to run out. In a browser
/// without keepalive, the ones still unconfirmed go out with `sendBeacon` instead.
pub fn release() {
    let (me, now) = (me(), now());
    state::with(|t| t.hiding.set(true));
    let beacon = !net::keepalive_supported();
    let just_failed = now.saturating_sub(state::net_error_at()) < UNLOAD_ERROR_MS;
    store::update(&mut |entries| {
        for e in entries.iter_mut().filter(|e| e.owner == me) {
            if beacon && net::beacon(&e.url, &e.body) {
                e.lease = now + INFLIGHT_LEASE_MS;
                e.attempts += 1;
            } else if e.waiting && just_failed {
                // Probably the unload cancelling it in JavaScript, not the request failing.
                e.lease = now + INFLIGHT_LEASE_MS;
            } else if e.waiting {
                e.owner.clear();
                e.lease = 0;
            }
            e.waiting = false;
        }
    });
}

/// Sends the entry now, if it is still this page's to send; returns the request's promise.
fn attempt(mut job: Job, answer: Waiter) -> Option<Promise> {
    let (me, now) = (me(), now());
    // Another page may have delivered or taken the entry while this one waited.
    let mut mine = None;
    with_entry(&job.id, &mut |e| {
        if e.claimable(&me, now) {
            e.owner = me.clone();
            e.lease = now + INFLIGHT_LEASE_MS;
            e.waiting = false;
            e.attempts += 1;
            mine = Some(e.attempts);
        }
    });
    let Some(attempts) = mine else {
        tell(answer.as_ref(), queued);
        return None;
    };
    job.tries += 1;
    let (url, body) = (job.url.clone(), job.body.clone());
    net::post_json(
        &url,
        &body,
        Box::new(move |r| settled(job, attempts, answer, r)),
    )
}

fn settled(job: Job, attempts: u32, answer: Waiter, r: Result<Reply, JsValue>) {
    let reply = r.ok();
    let status = reply.as_ref().map_or(0, |r| r.status);
    match backoff::verdict(status) {
        Verdict::Delivered => {
            delivered(&job);
            tell(answer.as_ref(), || accepted(reply.as_ref()));
        }
        // An earlier attempt whose answer was lost (its page closed) did arrive.
        Verdict::Refused if attempts > 1 && already_recorded(reply.as_ref()) => {
            log::debug("lead was already delivered", &JsValue::from_str(&job.id));
            delivered(&job);
            tell(answer.as_ref(), || accepted(None));
        }
        Verdict::Refused => {
            forget(&job.id);
            let why = reply
                .as_ref()
                .and_then(|r| r.text("error").or_else(|| r.text("message")))
                .unwrap_or_else(|| String::from("the API refused the lead"));
            log::error(&cat(&["lead refused: ", &why]));
            tell(answer.as_ref(), || failure(Some(status), &why));
        }
        Verdict::Retry => retry(job, reply.as_ref(), answer),
    }
}

fn retry(job: Job, reply: Option<&Reply>, answer: Waiter) {
    let now = now();
    if reply.is_none() {
        state::with(|t| t.net_error_at.set(now));
        if state::hiding() {
            // The page is gone; the keepalive request may well have arrived. The entry stays
            // leased as in flight, and a later page view confirms it.
            with_entry(&job.id, &mut |e| e.lease = now + INFLIGHT_LEASE_MS);
            return;
        }
    }
    let told = reply
        .and_then(|r| r.retry_after.as_deref())
        .and_then(retry_after_ms);
    let wait = told.unwrap_or_else(|| backoff::delay(job.tries, Math::random()));
    if job.tries >= backoff::MAX_ATTEMPTS || wait > backoff::MAX_WAIT_MS {
        // Leave it to the next page view; a Retry-After still holds it back until then.
        let not_before = if told.is_some() { now + wait as u64 } else { 0 };
        with_entry(&job.id, &mut |e| {
            e.owner.clear();
            e.lease = not_before;
            e.waiting = false;
        });
        log::warn(
            "the tracking API is unreachable; the lead is kept and sent on the next page view",
        );
        tell(answer.as_ref(), queued);
        return;
    }
    log::debug("retrying lead in ms", &wait.into());
    with_entry(&job.id, &mut |e| {
        e.lease = now + wait as u64 + WAITING_LEASE_MS;
        e.waiting = true;
    });
    page::later(
        wait,
        Box::new(move |_| {
            attempt(job, answer);
        }),
    );
}

/// Changes one outbox entry, if it is still there.
fn with_entry(id: &str, f: &mut dyn FnMut(&mut Entry)) {
    store::update(&mut |entries| {
        if let Some(e) = entries.iter_mut().find(|e| e.id == id) {
            f(e)
        }
    });
}

fn forget(id: &str) {
    store::update(&mut |entries| entries.retain(|e| e.id != id));
}

fn delivered(job: &Job) {
    forget(&job.id);
    let sent = outbox::sent_add(&store::read(outbox::SENT_KEY), &job.key, now());
    store::write(outbox::SENT_KEY, &sent);
    log::debug("lead delivered", &JsValue::from_str(&job.id));
}

/// The API's answer to a second lead for one customer ("already has a lead", "cannot be
/// updated to lead").
fn already_recorded(reply: Option<&Reply>) -> bool {
    reply
        .and_then(|r| r.text("error"))
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
