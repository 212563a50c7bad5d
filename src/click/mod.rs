//! Click capture (docs/contract.md §3, §5): a landing URL with `?aff=` is reported to the API, and
//! the click id it hands out is kept in first-party cookies for the signup that follows.

pub mod cookies;
pub mod jar;
pub mod landing;
pub mod rules;

use crate::browser::Local;
use crate::browser::timer::sleep;
use crate::browser::{self, console, http, page};
use crate::outcome::Outcome;
use crate::retry::{self, Verdict};
use crate::signal::Gate;
use crate::state;
use crate::text::cat;
use alloc::string::String;
use rules::Visit;
use wasm_bindgen::JsValue;

/// The window event dispatched once a click id is recorded.
pub const CLICK_EVENT: &str = "affitor:click";

/// Held while a click request is on its way: a signup waits for its click id.
static IN_FLIGHT: Local<Gate> = Local(Gate::new());
/// One click at a time (a landing, a navigation, `trackClick()`): each sees the cookies the one
/// before it wrote, so a partner's second click sends nothing and the last click wins.
static TURN: Local<Gate> = Local(Gate::new());

pub fn in_flight() -> bool {
    IN_FLIGHT.is_held()
}

/// Resolves once no click request is on its way.
pub async fn settled() {
    IN_FLIGHT.open().await
}

/// Reports the click in `url` (the affiliate link the visitor followed), unless this browser
/// already holds a click from that partner. `existing` replaces the stored click id as the
/// `existing_click_id` the API is told about (`trackClick(url, existingClickId)`).
pub async fn capture(url: String, existing: Option<String>) -> Outcome {
    visit(url, existing, None, JsValue::UNDEFINED).await
}

/// [`capture`], with the referrer the landing was recorded with (`None`: this page's); closes
/// the loader's `landing` record once done (see `landing`).
async fn visit(
    url: String,
    existing: Option<String>,
    referrer: Option<String>,
    landing: JsValue,
) -> Outcome {
    let _close = landing::Close(landing);
    let Some(page) = state::page() else {
        return Outcome::failed(None, "the tracker has not started");
    };
    let Some(raw) = rules::aff_param(&url) else {
        return Outcome::failed(None, "no aff parameter in the URL");
    };
    if raw.len() > rules::AFF_MAX {
        // Kept cut, it would not match the next page view's: that view would record it again.
        let why = "aff is over 256 characters: no click recorded";
        console::warn(why);
        return Outcome::failed(None, why);
    }
    let partner = page::decode(raw);
    // Signups from now on wait for this click's id (held before the first await).
    let _in_flight = IN_FLIGHT.hold();
    while TURN.is_held() {
        TURN.open().await;
    }
    let _turn = TURN.hold();
    let held = cookies::click_id();
    if let Some(id) = held
        .clone()
        .filter(|_| cookies::partner().as_deref() == Some(&partner))
    {
        console::debug(
            "click already recorded for partner",
            &partner.as_str().into(),
        );
        return Outcome::Clicked { click_id: id };
    }
    let body = visit_body(page, &url, existing.or(held).as_deref(), referrer);
    console::debug("sending click", &body.as_str().into());
    let api = cat(&[&page.config.api_base, "/api/v1/track/click"]);
    let mut tries = 0;
    let reply = loop {
        tries += 1;
        let reply = http::post(&api, &body, true).await;
        if retry::verdict(reply.status) != Verdict::Retry || tries >= retry::MAX_ATTEMPTS {
            break reply;
        }
        sleep(retry::delay(
            tries,
            browser::random(),
            page.timings.retry_base_ms,
        ))
        .await;
    };
    match reply.text("click_id") {
        Some(id) if reply.flag("success") && retry::verdict(reply.status) == Verdict::Delivered => {
            // A first-party endpoint set the cookies itself (so they keep the program's lifetime
            // where browsers cap cookies written by scripts): writing them here would undo that.
            if !reply.flag("cookies_set_by_server") {
                let days = js_days(&reply);
                cookies::remember(&id, days, &url);
            }
            console::debug("click recorded", &id.as_str().into());
            browser::events::announce(CLICK_EVENT);
            Outcome::Clicked { click_id: id }
        }
        _ => {
            let why = reply
                .text("message")
                .or_else(|| reply.text("error"))
                .unwrap_or_else(|| String::from("the click could not be recorded"));
            console::debug(&cat(&["click not recorded: ", &why]), &reply.status.into());
            Outcome::failed((reply.status > 0).then_some(reply.status), &why)
        }
    }
}

/// The click request's body for `url`. Not async: what it reads from the page is dropped
/// before the request's first await, so the capture's future does not carry it.
fn visit_body(
    page: &state::Page,
    url: &str,
    existing_click_id: Option<&str>,
    referrer: Option<String>,
) -> String {
    let env = page::environment();
    let referrer = referrer.unwrap_or(env.referrer);
    let size = |(w, h): (u32, u32)| rules::size(w as u64, h as u64);
    Visit {
        affiliate_url: url,
        page_url: &page::href(),
        page_title: &env.title,
        referrer_url: &referrer,
        session_id: &page.session_id,
        user_agent: &env.user_agent,
        screen_resolution: &size(env.screen),
        viewport_size: &size(env.viewport),
        language: &env.language,
        timezone: &env.timezone,
        existing_click_id,
        program_id: page.config.program_id.as_deref(),
        test_mode: page.config.test_mode,
    }
    .body()
}

/// The cookie window the API named, in days (1 to 3650), or the default.
fn js_days(reply: &http::Reply) -> u64 {
    browser::js::get(&reply.body, "cookie_window_days")
        .as_f64()
        .filter(|d| (1.0..=3650.0).contains(d))
        .map_or(cookies::DEFAULT_WINDOW_DAYS, |d| d as u64)
}
