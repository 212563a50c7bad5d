//! Getting each lead to the API exactly once. The outbox entry is written (under the outbox
//! lock, with the duplicate check) before the first attempt and removed when the API has
//! answered for good; network failures, 408, 429 and 5xx are retried with backoff; what is
//! left when the page goes is sent by the next page view, or by another open tab once this
//! page's lease has run out.

use super::dedupe;
use super::outbox::{self, Entry};
use crate::browser::spawn_local;
use crate::browser::timer::sleep;
use crate::browser::{self, console, http, locks, page};
use crate::click;
use crate::outcome::Outcome;
use crate::retry::{self, Next, Verdict};
use crate::state::{Local, Page};
use crate::text::cat;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

const LOCK: &str = "affitor_outbox";
/// Slack on the lease of an entry waiting for a retry timer.
const WAITING_SLACK_MS: f64 = 5_000.0;
/// Network failures in a row, the browser online, after which the API counts as blocked here.
const BLOCKED_AFTER: u32 = 3;
/// A page keeps an eye on other pages' leases that run out within this long.
const REFLUSH_WITHIN_MS: f64 = 60_000.0;

/// The entries this page is sending right now: a flush never takes them a second time.
static SENDING: Local<RefCell<Vec<String>>> = Local(RefCell::new(Vec::new()));
/// How long after a page has gone the answer to a lead it left on the wire (or as a beacon) is
/// expected: another page sends it again only then (the API's "already recorded" then closes it),
/// instead of after a whole lease. An outbox that keeps a storm of page loads' leads for this long
/// rather than a lease stays small.
const ANSWER_EXPECTED_MS: u32 = 3_000;
/// A lead that left the browser this many times with a page that went (each time a request the
/// browser carries on without the page: keepalive, or a beacon), and whose answer no page saw,
/// counts as delivered: in a storm of short page views no page lives to see an answer, and
/// sending it on and on would only fill the outbox up to its bound, and then refuse new leads.
const UNSEEN_MAX: u32 = 2;
static REFLUSH: Local<Cell<bool>> = Local(Cell::new(false));
/// Leads accepted by this page and not yet in the outbox (waiting for its lock): a page that
/// goes meanwhile writes them there itself.
static ACCEPTING: Local<RefCell<Vec<Entry>>> = Local(RefCell::new(Vec::new()));
/// The customers whose lead this page has taken on, each as a Web Lock held until the page goes
/// (or the API refused the lead): another tab signing up the same customer meanwhile finds the
/// lock taken. The outbox alone cannot tell it: a tab's copy of `localStorage` may lag behind
/// another tab's writes, even after the outbox lock has passed between them.
static CUSTOMERS: Local<RefCell<Vec<(String, locks::Lock)>>> = Local(RefCell::new(Vec::new()));

/// Marks an entry as being sent by this page until dropped.
struct Sending(String);

impl Sending {
    fn mark(id: &str) -> Option<Sending> {
        let mut all = SENDING.try_borrow_mut().ok()?;
        if all.iter().any(|s| s == id) {
            return None;
        }
        all.push(String::from(id));
        Some(Sending(String::from(id)))
    }
}

impl Drop for Sending {
    fn drop(&mut self) {
        if let Ok(mut all) = SENDING.try_borrow_mut() {
            all.retain(|s| *s != self.0);
        }
    }
}

fn is_sending(id: &str) -> bool {
    SENDING
        .try_borrow()
        .is_ok_and(|all| all.iter().any(|s| s == id))
}

/// Runs `f` on the outbox under the outbox lock (see `outbox::change`); returns whether the
/// lock was exclusive (false where the browser has no Web Locks).
async fn locked(f: &mut dyn FnMut(&mut Vec<Entry>, f64) -> bool) -> bool {
    under(outbox_lock(), f).await
}

fn outbox_lock() -> locks::Request {
    locks::request(LOCK, false)
}

/// [`locked`], with the outbox lock asked for already.
async fn under(lock: locks::Request, f: &mut dyn FnMut(&mut Vec<Entry>, f64) -> bool) -> bool {
    let lock = lock.granted().await; // `None` only for a lock asked for `if_available`
    let now = browser::now();
    outbox::change(now, &mut |entries| f(entries, now));
    lock.is_some_and(|l| l.exclusive)
}

/// Adds a new lead to the outbox, unless this customer's lead was delivered or is on its way.
/// Under the outbox lock, so ten tabs signing up one customer at once keep one lead. The lead
/// is held in this page from the call on (see [`release`]).
/// `who` is the lead's program, customer key and click id, its fingerprint's parts: the
/// fingerprint is made under the lock too, since the first tab of a browser makes its salt.
/// The same lock round trip claims the first attempt, so that it leaves at once: a page that
/// redirects right after `signup()` gives it little time.
pub async fn accept(page: &Page, entry: Entry, who: Who) -> Accepted {
    let id = entry.id.clone();
    if let Ok(mut accepting) = ACCEPTING.try_borrow_mut() {
        accepting.push(entry);
    }
    let customer = dedupe::customer(who.0.as_deref(), who.1.as_deref(), who.2.as_deref());
    // Both locks asked for at once: the outbox lock's wait overlaps the customer lock's answer
    // (each a round trip to the browser), and this page's signup is ahead of its own flush.
    let customer = locks::request(&cat(&["affitor_lead_", &customer]), true);
    let outbox = outbox_lock();
    let Some(customer) = customer.granted().await else {
        // Another page or tab is sending this customer's lead.
        return match take_accepting(&id) {
            Some(_) => Accepted::Duplicate,
            None => Accepted::Released,
        };
    };
    let mut accepted = Accepted::Released;
    under(outbox, &mut |entries, now| {
        let Some(mut e) = take_accepting(&id) else {
            return false; // the page went meanwhile: `release` sent it
        };
        e.fp = dedupe::fingerprint(who.0.as_deref(), who.1.as_deref(), who.2.as_deref());
        if dedupe::was_sent(&e.fp, now) || entries.iter().any(|x| x.fp == e.fp) {
            accepted = Accepted::Duplicate;
            return false;
        }
        if !outbox::has_room(entries) {
            // The bound says no to this new lead, never to one the outbox holds.
            accepted = Accepted::Full;
            return false;
        }
        // A lead made on the landing page waits for its click id (`send`).
        let first = (!click::in_flight()).then(|| claim(&mut e, page, now));
        accepted = Accepted::New(e.id.clone(), first);
        entries.push(e);
        true
    })
    .await;
    if matches!(accepted, Accepted::New(..))
        && let Ok(mut customers) = CUSTOMERS.try_borrow_mut()
    {
        customers.push((id, customer));
    }
    accepted
}

/// What became of a lead handed to [`accept`].
pub enum Accepted {
    /// In the outbox, with its first attempt when this page has claimed it already.
    New(String, Option<Attempt>),
    /// This customer's lead was delivered from this browser, or is on its way.
    Duplicate,
    /// The page went before the outbox lock was granted: `release` sent the lead.
    Released,
    /// The outbox holds [`outbox::MAX_ENTRIES`] leads already: this one was not kept.
    Full,
}

/// One attempt this page has claimed: its body, the lead's fingerprint, the attempts so far.
pub struct Attempt(String, String, u32);

/// Takes the entry for one attempt by `page`, leased as in flight.
fn claim(e: &mut Entry, page: &Page, now: f64) -> Attempt {
    e.hold(&page.session_id, now + page.timings.lease_ms as f64);
    e.attempts += 1;
    Attempt(body(e), e.fp.clone(), e.attempts)
}

/// The entry's request body, with the click the browser holds now if it had none.
fn body(e: &mut Entry) -> String {
    e.body(|| Some((click::cookies::click_id()?, click::cookies::history())))
}

/// A lead's program id, customer key and click id.
pub type Who = (Option<String>, Option<String>, Option<String>);

fn take_accepting(id: &str) -> Option<Entry> {
    let mut accepting = ACCEPTING.try_borrow_mut().ok()?;
    let i = accepting.iter().position(|e| e.id == id)?;
    Some(accepting.remove(i))
}

/// Sends the entry `id` until the API answers for good (its outcome), or leaves it to a later
/// page view (`Queued`). `first`: the attempt [`accept`] claimed for it.
pub async fn send(page: &'static Page, id: String, mut first: Option<Attempt>) -> Outcome {
    let Some(_sending) = Sending::mark(&id) else {
        return Outcome::Queued;
    };
    if first.is_none() && click::in_flight() {
        // The landing page is the signup page: the lead goes with the click id on its way.
        browser::timer::within(page.timings.click_wait_ms, click::settled()).await;
    }
    let me = page.session_id.as_str();
    let url = cat(&[&page.config.api_base, "/api/v1/track/lead"]);
    let mut tries = 0;
    loop {
        let claimed = match first.take() {
            Some(attempt) => Some(attempt),
            None => {
                // Still this page's to send? Another page may have delivered or taken it.
                let mut claimed = None;
                locked(&mut |entries, now| {
                    let Some(e) = entries.iter_mut().find(|e| e.id == id) else {
                        return false;
                    };
                    if !e.claimable(me, now) {
                        return false;
                    }
                    claimed = Some(claim(e, page, now));
                    true
                })
                .await;
                claimed
            }
        };
        let Some(Attempt(body, fp, attempts)) = claimed else {
            return Outcome::Queued;
        };
        // forget() ran since this lead was accepted: it is not sent.
        if let Some(no) = Outcome::stopped() {
            return no;
        }
        if page.hiding.get() {
            // The page is going: `release` sent what it had not sent yet.
            return Outcome::Queued;
        }
        tries += 1;
        console::debug("sending lead", &body.as_str().into());
        let reply = http::post(&url, &body, false).await;
        let status = reply.status;
        let outcome = match retry::verdict(status) {
            Verdict::Delivered => Outcome::accepted(&reply),
            // An earlier attempt whose answer was lost (its page closed) did arrive.
            Verdict::Refused if attempts > 1 && already_recorded(&reply) => Outcome::Accepted {
                status: None,
                message: None,
                provisional: false,
            },
            Verdict::Refused => {
                let why = reply
                    .text("error")
                    .or_else(|| reply.text("message"))
                    .unwrap_or_else(|| String::from("the API refused the lead"));
                console::error(&cat(&["lead refused: ", &why]));
                // Refused for good: a new signup of this customer may try again.
                if let Ok(mut customers) = CUSTOMERS.try_borrow_mut() {
                    customers.retain(|(c, _)| *c != id);
                }
                Outcome::failed(Some(status), &why)
            }
            Verdict::Retry => {
                match wait_or_leave(page, &id, &reply, tries).await {
                    Some(ms) => sleep(ms).await,
                    None => return Outcome::Queued,
                }
                continue;
            }
        };
        // Answered for good: the entry goes, and a delivered lead is remembered.
        let delivered = !matches!(outcome, Outcome::Failed { .. });
        if delivered {
            console::debug("lead delivered", &id.as_str().into());
        }
        locked(&mut |entries, now| {
            entries.retain(|e| e.id != id);
            if delivered {
                dedupe::sent(&fp, now);
            }
            true
        })
        .await;
        return outcome;
    }
}

/// After an attempt worth retrying failed: how long to wait before the next, or `None` when
/// the entry is left to a later page view (then marked so in the outbox).
async fn wait_or_leave(page: &Page, id: &str, reply: &http::Reply, tries: u32) -> Option<u32> {
    let status = reply.status;
    if status == 0 && page.hiding.get() {
        // The page is going and took the request with it, or not: a keepalive request may
        // well have arrived. The entry stays leased as in flight; a later page confirms it.
        return None;
    }
    let told = reply.retry_after.as_deref().and_then(retry_after_ms);
    let blocked = page.api_blocked.get() || (tries >= BLOCKED_AFTER && page::online());
    let next = if status == 0 && blocked {
        // The page's own policy refuses the request, or something refuses it every time although
        // the browser is online (an ad-blocker): retrying here would get the same answer.
        Next::Later { not_before_ms: 0 }
    } else {
        retry::after_failure(tries, told, browser::random(), page.timings.retry_base_ms)
    };
    locked(&mut |entries, now| {
        let Some(e) = entries.iter_mut().find(|e| e.id == id) else {
            return false;
        };
        match next {
            Next::Later { not_before_ms } => e.let_go(now + not_before_ms as f64),
            Next::Wait(ms) => {
                e.lease = now + ms as f64 + WAITING_SLACK_MS;
                e.waiting = true;
            }
        }
        true
    })
    .await;
    match next {
        Next::Wait(ms) => {
            console::debug("retrying lead in ms", &ms.into());
            Some(ms)
        }
        Next::Later { .. } => {
            if !page.api_blocked.get() {
                unreachable_api(status);
            }
            None
        }
    }
}

/// Sends what earlier pages left in the outbox (and what this page left to a later attempt).
/// With Web Locks, one tab claims the entries at a time; without them, a claim is only acted on
/// if it still holds a moment later (`send` checks again before each attempt).
pub async fn flush(page: &'static Page) {
    let me = page.session_id.as_str();
    let mut claimed = Vec::new();
    let mut next = f64::INFINITY;
    let exclusive = locked(&mut |entries, now| {
        for e in entries.iter_mut() {
            if is_sending(&e.id) {
                continue;
            }
            if e.claimable(me, now) {
                e.hold(me, now + page.timings.lease_ms as f64);
                claimed.push(e.id.clone());
            } else {
                next = next.min(e.lease - now);
            }
        }
        !claimed.is_empty()
    })
    .await;
    if !claimed.is_empty() {
        console::debug(
            "sending leads left by an earlier page",
            &(claimed.len() as u32).into(),
        );
    }
    // An entry another page holds (sending it, or gone with it) is looked at again when that
    // lease runs out: an open page takes over an orphaned lead without waiting for a navigation.
    if next <= REFLUSH_WITHIN_MS && !REFLUSH.replace(true) {
        spawn_local(async move {
            sleep(next as u32 + 100).await;
            REFLUSH.set(false);
            flush(page).await;
        });
    }
    if !exclusive && !claimed.is_empty() {
        sleep(200 + (browser::random() * 300.0) as u32).await;
    }
    for id in claimed {
        crate::detach(send(page, id, None));
    }
}

/// The page is going (`pagehide`): the leads it has not sent yet (waiting for the lock, or for
/// the landing page's click; where there is no keepalive, every unconfirmed one) go out now as
/// `text/plain` beacons, so a redirect right after `signup()` loses no lead. Their entries stay
/// leased as in flight: a later page view confirms them (the API's "already recorded" answer
/// closes a lead that did arrive). A lead waiting for a retry timer is handed back instead, for
/// the next page view to send at once. Synchronous: an unloading page does not wait for a lock.
pub fn release(page: &Page) {
    page.hiding.set(true);
    if page.stopped.get() {
        return; // forget() ran: nothing is kept or sent
    }
    // The customers' locks go with the page (a page that holds a lock is not kept in the
    // back/forward cache); its outbox entries keep the leads.
    if let Ok(mut customers) = CUSTOMERS.try_borrow_mut() {
        customers.clear();
    }
    let keepalive = http::keepalive_supported();
    let url = cat(&[&page.config.api_base, "/api/v1/track/lead"]);
    let now = browser::now();
    let accepting = ACCEPTING
        .try_borrow_mut()
        .map(|mut a| core::mem::take(&mut *a));
    let mut accepting = accepting.unwrap_or_default();
    let expected = now + page.timings.lease_ms.min(ANSWER_EXPECTED_MS) as f64;
    outbox::change(now, &mut |entries| {
        let mut changed = !accepting.is_empty();
        entries.append(&mut accepting);
        for e in entries.iter_mut().filter(|e| e.owner == page.session_id) {
            if !e.waiting && keepalive {
                // In flight, with keepalive: it carries on without the page.
                e.lease = e.lease.min(expected);
                e.unseen += 1;
                changed = true;
                continue;
            }
            if e.attempts > 0 && keepalive {
                // Waiting for a retry: the next page view sends it at once.
                e.let_go(0.0);
                changed = true;
                continue;
            }
            let body = body(e);
            // A beacon: `text/plain` needs no preflight, which an unloading page cannot wait for
            // (a JSON fetch started now needs one, and is then sometimes lost). A keepalive fetch
            // only where the browser refuses the beacon (its quota).
            if !http::beacon(&url, &body) {
                if !keepalive {
                    continue;
                }
                http::fire(&url, &body);
            }
            e.hold(&page.session_id, expected);
            e.attempts += 1;
            e.unseen += 1;
            changed = true;
        }
        entries.retain(|e| {
            let gone = e.owner == page.session_id && e.unseen >= UNSEEN_MAX;
            if gone {
                dedupe::sent(&e.fp, now);
            }
            !gone
        });
        changed
    });
}

/// The page is back from the back/forward cache: it resumes sending.
pub fn resume(page: &'static Page) {
    page.hiding.set(false);
    spawn_local(flush(page));
}

/// Said once per page: the API cannot be reached although the browser is online.
fn unreachable_api(status: u16) {
    static SAID: Local<Cell<bool>> = Local(Cell::new(false));
    if status != 0 || !page::online() || SAID.replace(true) {
        console::warn(
            "the tracking API is not answering; the lead is kept and sent on the next page view",
        );
        return;
    }
    console::error(
        "the tracking API cannot be reached (the browser is online): check the CSP's connect-src and ad-blockers (a first-party api-base avoids both); the lead is kept for the next page view",
    );
}

/// The API's answer to a second lead for one customer ("already has a lead", "cannot be
/// updated to lead").
fn already_recorded(reply: &http::Reply) -> bool {
    reply
        .text("error")
        .is_some_and(|e| retry::already_recorded(&e))
}

/// `Retry-After` in delta-seconds or as an HTTP date.
fn retry_after_ms(header: &str) -> Option<u32> {
    retry::retry_after_seconds(header).or_else(|| {
        let at = js_sys::Date::parse(header);
        at.is_finite()
            .then(|| (at - browser::now()).clamp(0.0, u32::MAX as f64) as u32)
    })
}
