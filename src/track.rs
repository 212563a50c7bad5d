//! Click capture in the page: a landing URL with `?aff=` is reported to the API, and the
//! click id it hands out is kept in first-party cookies for the signup that follows.

use crate::backoff::{self, Verdict};
use crate::click::{self, Visit};
use crate::cookie::{self, AFF_URL, CLICK_ID, CLICK_IDS, LEGACY_CLICK_ID};
use crate::delivery;
use crate::json::Obj;
use crate::net::{self, Kind, Reply};
use crate::task::{self, Task};
use crate::text::cat;
use crate::{log, page, state};
use alloc::string::String;
use js_sys::{Function, Math};
use wasm_bindgen::JsValue;

/// Cookie lifetime when the API names none (CONTRACT.md §3).
const DEFAULT_WINDOW_DAYS: u64 = 60;
const PROBE: &str = "affitor_probe";

/// Reports the click in `url`, if it carries `aff` and is not this browser's current partner.
pub fn capture(url: String, answer: Option<Function>) {
    let Some(partner) = click::aff_param(&url).map(page::decode) else {
        net::give(answer.as_ref(), || {
            delivery::failure(None, "no aff parameter in the URL")
        });
        return;
    };
    let jar = page::cookies();
    let existing = cookie::click_id(&jar).map(page::decode);
    let stored_partner =
        page::cookie(&jar, AFF_URL).and_then(|u| click::aff_param(&u).map(page::decode));
    if existing.is_some() && stored_partner.as_deref() == Some(partner.as_str()) {
        log::debug("click already recorded for partner", &partner.into());
        net::give(answer.as_ref(), || click_result(existing.as_deref()));
        return;
    }
    let Some(body) = state::with(|t| {
        let env = page::environment();
        Visit {
            affiliate_url: &url,
            page_title: &env.title,
            referrer_url: &env.referrer,
            session_id: t.session_id,
            user_agent: &env.user_agent,
            screen_resolution: &env.screen,
            viewport_size: &env.viewport,
            language: &env.language,
            timezone: &env.timezone,
            existing_click_id: existing.as_deref(),
            program_id: t.config.program_id.as_deref(),
            test_mode: t.config.test_mode,
        }
        .body()
    }) else {
        return;
    };
    log::debug("sending click", &JsValue::from_str(&body));
    state::set_clicking(true);
    attempt(net::add(Kind::Click, url.into(), body.into(), answer));
}

/// Sends the click in `slot` (again).
pub fn attempt(slot: u32) {
    let Some(api) = state::with(|t| cat(&[&t.config.api_base, "/api/v1/track/click"])) else {
        return;
    };
    let api = JsValue::from(api);
    let body = net::with(slot, |c| {
        c.tries += 1;
        c.body.clone()
    });
    if let Some(body) = body {
        net::post(&api, &body, slot);
    }
}

/// The API answered the click in `slot` (or the request failed: status 0).
pub fn answered(slot: u32, reply: Reply) {
    let status = reply.status;
    let verdict = backoff::verdict(status);
    let Some((tries, url)) = net::with(slot, |c| (c.tries, c.id.as_string())) else {
        return;
    };
    let url = url.unwrap_or_default();
    if verdict == Verdict::Retry && tries < backoff::MAX_ATTEMPTS {
        task::later(backoff::delay(tries, Math::random()), Task::Attempt, slot);
        return;
    }
    let click_id = reply.text("click_id");
    let result = match (verdict, click_id) {
        (Verdict::Delivered, Some(id)) if reply.flag("success") => {
            let days = page::get(&reply.body, "cookie_window_days")
                .as_f64()
                .filter(|d| *d >= 1.0 && *d <= 3650.0)
                .map_or(DEFAULT_WINDOW_DAYS, |d| d as u64);
            remember(&id, days, &url);
            log::debug("click recorded", &JsValue::from_str(&id));
            click_result(Some(&id))
        }
        _ => {
            let why = reply
                .text("message")
                .or_else(|| reply.text("error"))
                .unwrap_or_else(|| String::from("the click could not be recorded"));
            log::debug(
                &cat(&["click not recorded: ", &why]),
                &JsValue::from(status),
            );
            delivery::failure((status > 0).then_some(status), &why)
        }
    };
    // Signups that waited for this click id go ahead now.
    state::set_clicking(false);
    crate::api::click_over();
    net::tell(slot, || result);
    net::done(slot);
}

fn click_result(click_id: Option<&str>) -> JsValue {
    page::parse(
        &Obj::new()
            .raw("ok", "true")
            .opt_str("clickId", click_id)
            .end(),
    )
}

/// Stores a new click: its id, the history, and the landing URL.
fn remember(click_id: &str, days: u64, landing_url: &str) {
    let jar = page::cookies();
    let history = cookie::history(&page::cookie(&jar, CLICK_IDS).unwrap_or_default());
    let history = click::push_history(&history, click_id);
    let max_age = days * 86_400;
    let domain = domain();
    write(CLICK_ID, click_id, max_age, domain.as_deref());
    write(CLICK_IDS, &history, max_age, domain.as_deref());
    write(AFF_URL, landing_url, max_age, domain.as_deref());
}

/// The legacy `customer_code` cookie becomes `affitor_click_id`.
pub fn migrate_legacy() {
    let jar = page::cookies();
    if cookie::find(&jar, CLICK_ID).is_some_and(|v| !v.is_empty()) {
        return;
    }
    if let Some(old) = page::cookie(&jar, LEGACY_CLICK_ID) {
        write(
            CLICK_ID,
            &old,
            DEFAULT_WINDOW_DAYS * 86_400,
            domain().as_deref(),
        );
        log::debug(
            "migrated the customer_code cookie",
            &JsValue::from_str(&old),
        );
    }
}

fn write(name: &str, value: &str, max_age: u64, domain: Option<&str>) {
    let secure = page::is_https();
    if domain.is_some() {
        // A host-only cookie of the same name would shadow the shared one on this host.
        page::write_cookie(&click::cookie_line(name, "", 0, None, secure));
    }
    page::write_cookie(&click::cookie_line(
        name,
        &page::encode(value),
        max_age,
        domain,
        secure,
    ));
}

/// `data-affitor-cookie-domain`, or the widest domain the browser lets this page set.
fn domain() -> Option<String> {
    if let Some(d) = state::with(|t| t.config.cookie_domain.clone()).flatten() {
        return Some(d);
    }
    let host = page::hostname();
    let secure = page::is_https();
    for candidate in click::domain_candidates(&host) {
        page::write_cookie(&click::cookie_line(PROBE, "1", 10, Some(candidate), secure));
        if cookie::find(&page::cookies(), PROBE) == Some("1") {
            page::write_cookie(&click::cookie_line(PROBE, "", 0, Some(candidate), secure));
            return Some(String::from(candidate));
        }
    }
    None
}
