//! Getting each lead to the API exactly once: the requests, around the page's [`Outbox`], which
//! owns what delivery knows. The outbox entry is written (under the outbox lock, with the
//! duplicate check) before the first attempt and removed when the API has answered for good;
//! network failures, 408, 429 and 5xx are retried with backoff; what is left when the page goes
//! is sent by the next page view, or by another open tab once this page's lease has run out.

use super::host::Web;
use super::outbox::{Attempt, Outbox};
use crate::browser::Local;
use crate::browser::task::{detach, spawn_local};
use crate::browser::timer::sleep;
use crate::browser::{self, console, http, page};
use crate::click;
use crate::outcome::Outcome;
use crate::retry::{self, Next, Verdict};
use crate::state::{self, Page};
use crate::text::cat;
use alloc::string::String;
use core::cell::OnceCell;

/// Network failures in a row, the browser online, after which the API counts as blocked here.
const BLOCKED_AFTER: u32 = 3;

/// The page's outbox: the one owner of what delivery knows, made on first use.
static OUTBOX: Local<OnceCell<Outbox<Web>>> = Local(OnceCell::new());

/// This page's [`Outbox`].
pub fn outbox(page: &Page) -> &'static Outbox<Web> {
    OUTBOX.get_or_init(|| {
        let host = Web {
            url: lead_url(page),
        };
        Outbox::new(host, page.session_id.clone(), page.timings.lease_ms)
    })
}

fn lead_url(page: &Page) -> String {
    cat(&[&page.config.api_base, "/api/v1/track/lead"])
}

/// Sends the entry `id` until the API answers for good (its outcome), or leaves it to a later
/// page view (`Queued`). `first`: the attempt [`Outbox::accept`] claimed for it.
pub async fn send(page: &'static Page, id: String, mut first: Option<Attempt>) -> Outcome {
    let outbox = outbox(page);
    let Some(_sending) = outbox.sending(&id) else {
        return Outcome::Queued;
    };
    if first.is_none() && click::in_flight() {
        // The landing page is the signup page: the lead goes with the click id on its way.
        browser::timer::within(page.timings.click_wait_ms, click::settled()).await;
    }
    let url = lead_url(page);
    let mut tries = 0;
    loop {
        let attempt = match first.take() {
            Some(attempt) => attempt,
            None => match outbox.claim(&id).await {
                Some(attempt) => attempt,
                None => return Outcome::Queued,
            },
        };
        // forget() ran since this lead was accepted: it is not sent.
        if let Some(no) = Outcome::stopped() {
            return no;
        }
        if outbox.hiding() {
            // The page is going: `release` sent what it had not sent yet.
            return Outcome::Queued;
        }
        tries += 1;
        console::debug("sending lead", &attempt.body.as_str().into());
        let reply = http::post(&url, &attempt.body, false).await;
        let status = reply.status;
        let outcome = match retry::verdict(status) {
            Verdict::Delivered => Outcome::Accepted {
                status: Some(status),
                message: reply.text("message"),
                provisional: reply.flag("provisional"),
            },
            // An earlier attempt whose answer was lost (its page closed) did arrive.
            Verdict::Refused if attempt.attempts > 1 && already_recorded(&reply) => {
                Outcome::Accepted {
                    status: None,
                    message: None,
                    provisional: false,
                }
            }
            Verdict::Refused => {
                let why = reply
                    .text("error")
                    .or_else(|| reply.text("message"))
                    .unwrap_or_else(|| String::from("the API refused the lead"));
                console::error(&cat(&["lead refused: ", &why]));
                Outcome::failed(Some(status), &why)
            }
            Verdict::Retry => {
                if status == 0 && outbox.hiding() {
                    // The page is going and took the request with it, or not: a keepalive
                    // request may well have arrived. The entry stays leased as in flight; a
                    // later page confirms it.
                    return Outcome::Queued;
                }
                let next = next_try(page, &reply, tries);
                outbox.postpone(&id, next).await;
                match next {
                    Next::Wait(ms) => {
                        console::debug("retrying lead in ms", &ms.into());
                        sleep(ms).await;
                        continue;
                    }
                    Next::Later { .. } => {
                        if !page.api_blocked.get() {
                            unreachable_api(outbox, status);
                        }
                        return Outcome::Queued;
                    }
                }
            }
        };
        // Answered for good: the entry goes, and a delivered lead is remembered.
        let delivered = !matches!(outcome, Outcome::Failed { .. });
        if delivered {
            console::debug("lead delivered", &id.as_str().into());
        }
        outbox.answered(&id, &attempt.fp, delivered).await;
        return outcome;
    }
}

/// After an attempt worth retrying failed: wait and try again, or leave it to a later page view.
fn next_try(page: &Page, reply: &http::Reply, tries: u32) -> Next {
    let told = reply.retry_after.as_deref().and_then(retry_after_ms);
    let blocked = page.api_blocked.get() || (tries >= BLOCKED_AFTER && page::online());
    if reply.status == 0 && blocked {
        // The page's own policy refuses the request, or something refuses it every time although
        // the browser is online (an ad-blocker): retrying here would get the same answer.
        Next::Later { not_before_ms: 0 }
    } else {
        retry::after_failure(tries, told, browser::random(), page.timings.retry_base_ms)
    }
}

/// Sends what earlier pages left in the outbox (and what this page left to a later attempt).
/// With Web Locks, one tab claims the entries at a time; without them, a claim is only acted on
/// if it still holds a moment later (`send` checks again before each attempt).
pub async fn flush(page: &'static Page) {
    let outbox = outbox(page);
    let found = outbox.flush().await;
    if !found.claimed.is_empty() {
        console::debug(
            "sending leads left by an earlier page",
            &(found.claimed.len() as u32).into(),
        );
    }
    if let Some(ms) = found.recheck_in {
        spawn_local(async move {
            sleep(ms + 100).await;
            outbox.recheck_due();
            flush(page).await;
        });
    }
    if !found.exclusive && !found.claimed.is_empty() {
        sleep(200 + (browser::random() * 300.0) as u32).await;
    }
    for id in found.claimed {
        detach(send(page, id, None));
    }
}

/// The page is going (`pagehide`): see [`Outbox::release`].
pub fn release(page: &Page) {
    let outbox = outbox(page);
    if state::stopped() {
        outbox.hide();
        return; // forget() ran: nothing is kept or sent
    }
    outbox.release();
}

/// The page is back from the back/forward cache: it resumes sending.
pub fn resume(page: &'static Page) {
    outbox(page).resume();
    spawn_local(flush(page));
}

/// Said once per page: the API cannot be reached although the browser is online.
fn unreachable_api(outbox: &Outbox<Web>, status: u16) {
    if status != 0 || !page::online() || !outbox.first_warning() {
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
