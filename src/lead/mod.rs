//! Signups (docs/contract.md §2, §4): `signup()`'s way from its arguments to its result, and the
//! calls a page made before the tracker ran.

pub mod args;
pub mod body;
pub mod dedupe;
pub mod delivery;
pub mod entry;
pub mod host;
pub mod outbox;

use crate::browser::task::{detach, spawn_local};
use crate::browser::timer::within;
use crate::browser::{console, js, page, storage};
use crate::click;
use crate::outcome::Outcome;
use crate::signal::oneshot;
use crate::state;
use alloc::string::String;
use args::{Email, KeyProblem};
use body::Lead;
use outbox::Accepted;
use wasm_bindgen::JsValue;

/// Where the loader keeps signups made before the tracker ran, when the page left first.
pub const PENDING_KEY: &str = "affitor_pending";
/// At most this many of them are run: the rest is junk or a loop.
const PENDING_MAX: u32 = 50;
/// A page address longer than this is cut: it is context, not the lead.
const PAGE_URL_MAX: usize = 2048;

/// `signup(customerKey, email?)`, made at `page_url` (default: this page's address). Resolves
/// once the API has answered for good, or with `queued` after the tag's timeout while the lead
/// waits in the outbox.
pub async fn signup(key: JsValue, email: JsValue, page_url: Option<String>) -> Outcome {
    let Some(page) = state::page() else {
        return Outcome::failed(None, "the tracker has not started");
    };
    let (key, email) = args::read(&key, &email);
    let customer_key = args::customer_key(key);
    let email = match args::email(email) {
        Email::Valid(e) => Some(e),
        Email::Absent => None,
        Email::Dropped(why) => {
            console::warn(why);
            None
        }
    };
    let mut page_url = page_url.unwrap_or_else(page::href);
    truncate(&mut page_url, PAGE_URL_MAX);
    let customer_key = match customer_key {
        Ok(k) => Some(k),
        // A key given but unusable as it is (too long, an unpaired surrogate) is refused: sent
        // without it, two such customers would be one lead.
        Err(problem @ (KeyProblem::TooLong | KeyProblem::LoneSurrogate)) => {
            let why = crate::text::cat(&[problem.message(), "; no lead was sent"]);
            console::error(&why);
            return Outcome::failed(None, &why);
        }
        Err(problem) => {
            // Only a click id can carry this lead; the landing page's may still be on its way.
            within(page.timings.click_wait_ms, click::settled()).await;
            if click::cookies::click_id().is_none() {
                let why = crate::text::cat(&[problem.message(), "; no lead was sent"]);
                console::error(&why);
                return Outcome::failed(None, &why);
            }
            keyless(problem);
            None
        }
    };
    let lead = Lead {
        // A click on its way (the landing page, a queued trackClick) is this lead's: the lead
        // takes the click id when it is sent (`entry::Entry::body`).
        click_id: if click::in_flight() {
            None
        } else {
            click::cookies::click_id()
        },
        customer_key,
        email,
        click_ids: click::cookies::history(),
        program_id: page.config.program_id.clone(),
        page_url,
        session_id: page.session_id.clone(),
        test_mode: page.config.test_mode,
        debug: page.config.debug,
    };
    let (id, first) = match delivery::outbox(page).accept(&lead).await {
        Accepted::New { id, first } => (id, first),
        Accepted::Duplicate => {
            console::debug(
                "this customer's lead was already sent from this browser",
                &JsValue::NULL,
            );
            return Outcome::Duplicate;
        }
        Accepted::Released => return Outcome::Queued,
        Accepted::Full => {
            let why = "the outbox already holds 100 leads (its bound): no lead was sent";
            console::error(why);
            return Outcome::failed(None, why);
        }
    };
    // The lead is in the outbox: from here on it is sent, whether or not this caller waits.
    let (answer, outcome) = oneshot();
    spawn_local(async move { answer.send(delivery::send(page, id, first).await) });
    within(page.config.timeout_ms, outcome.recv())
        .await
        .unwrap_or(Outcome::Queued)
}

fn keyless(problem: KeyProblem) {
    console::error(&crate::text::cat(&[
        problem.message(),
        ": the lead goes with customer_key null and the click id, and later payments cannot be attributed to this customer",
    ]));
}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut at = max;
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        s.truncate(at);
    }
}

/// Runs the signups the loader saved because the page closed before the tracker ran:
/// `[key, email, url]` each; anything else there is skipped.
pub fn replay_pending() {
    let Some(saved) = storage::take(PENDING_KEY) else {
        return;
    };
    let calls = js::parse(&saved);
    if !js::is_array(&calls) {
        console::warn("skipped the saved early signups: not a list");
        return;
    }
    for call in js::items(&calls, PENDING_MAX) {
        if !js::is_array(&call) {
            continue;
        }
        let url = js::index(&call, 2)
            .as_string()
            .filter(|u| u.len() <= PAGE_URL_MAX);
        let (key, email) = (js::index(&call, 0), js::index(&call, 1));
        detach(signup(key, email, url));
    }
}
