//! The click's first-party cookies in this page's jar: read for each lead, written for each
//! click (docs/contract.md §3), with the widest domain the browser lets the page set.

use super::jar::{self, AFF_URL, CLICK_ID, CLICK_IDS, LEGACY_CLICK_ID};
use super::rules;
use crate::browser::page;
use crate::state;
use alloc::string::String;
use alloc::vec::Vec;

/// Cookie lifetime when the API names none (docs/contract.md §3).
pub const DEFAULT_WINDOW_DAYS: u64 = 60;
const PROBE: &str = "affitor_probe";

/// A cookie's decoded value, if it is set and not empty.
pub fn get(jar: &str, name: &str) -> Option<String> {
    jar::find(jar, name)
        .filter(|v| !v.is_empty())
        .map(page::decode)
}

/// The click id this browser holds (`affitor_click_id`, else the legacy `customer_code`).
pub fn click_id() -> Option<String> {
    jar::click_id(&page::cookies()).map(page::decode)
}

/// The click-id history, oldest first.
pub fn history() -> Vec<String> {
    jar::history(&get(&page::cookies(), CLICK_IDS).unwrap_or_default())
}

/// The partner (`aff`) of the click this browser holds, from the landing URL it kept.
pub fn partner() -> Option<String> {
    get(&page::cookies(), AFF_URL).and_then(|u| rules::aff_param(&u).map(page::decode))
}

/// Keeps a new click: its id (also as `customer_code`, for older server code), the history,
/// and the landing URL, for `days`.
pub fn remember(click_id: &str, days: u64, landing_url: &str) {
    let history = rules::push_history(&history(), click_id);
    let max_age = days * 86_400;
    let domain = domain();
    let domain = domain.as_deref();
    write(CLICK_ID, click_id, max_age, domain);
    write(LEGACY_CLICK_ID, click_id, max_age, domain);
    write(CLICK_IDS, &history, max_age, domain);
    write(AFF_URL, &rules::landing_url(landing_url), max_age, domain);
}

/// Keeps a click another of the business's sites handed over (docs/contract.md §8) as
/// [`remember`] keeps one; it has no landing here, so the landing URL of an older click goes
/// (its partner does not claim this click).
#[cfg(any(test, feature = "handoff"))]
pub fn adopt(click_id: &str, days: u64) {
    remember(click_id, days, "");
    write(AFF_URL, "", 0, domain().as_deref());
}

/// Expires each of `names`: host-only, and at each of `domains`.
pub fn expire(names: &[&str], domains: &[&str]) {
    for name in names {
        write(name, "", 0, None);
        for d in domains {
            write(name, "", 0, Some(d));
        }
    }
}

/// The legacy `customer_code` cookie becomes `affitor_click_id`.
pub fn migrate_legacy() {
    let jar = page::cookies();
    if jar::find(&jar, CLICK_ID).is_some_and(|v| !v.is_empty()) {
        return;
    }
    if let Some(old) = get(&jar, LEGACY_CLICK_ID) {
        write(
            CLICK_ID,
            &old,
            DEFAULT_WINDOW_DAYS * 86_400,
            domain().as_deref(),
        );
        crate::browser::console::debug("migrated the customer_code cookie", &old.as_str().into());
    }
}

fn write(name: &str, value: &str, max_age: u64, domain: Option<&str>) {
    if state::stopped() {
        return; // forget() ran: a click answered since then is not kept
    }
    let secure = page::is_https();
    if domain.is_some() {
        // A host-only cookie of the same name would shadow the shared one on this host.
        page::write_cookie(&rules::cookie_line(name, "", 0, None, secure));
    }
    page::write_cookie(&rules::cookie_line(
        name,
        &page::encode(value),
        max_age,
        domain,
        secure,
    ));
}

/// `data-affitor-cookie-domain`, or the widest domain the browser lets this page set; `None`:
/// host-only cookies.
fn domain() -> Option<String> {
    domain_for(state::page().and_then(|p| p.config.cookie_domain.clone()))
}

/// [`domain`] for the `configured` cookie domain.
pub fn domain_for(configured: Option<String>) -> Option<String> {
    if configured.is_some() {
        return configured;
    }
    rules::domain_candidates(&page::hostname())
        .into_iter()
        .find(|candidate| probe(Some(candidate)))
        .map(String::from)
}

/// Whether a cookie written at `domain` (as the click cookies are) reads back; it is removed.
pub fn probe(domain: Option<&str>) -> bool {
    let secure = page::is_https();
    page::write_cookie(&rules::cookie_line(PROBE, "1", 10, domain, secure));
    let kept = jar::find(&page::cookies(), PROBE) == Some("1");
    if kept {
        page::write_cookie(&rules::cookie_line(PROBE, "", 0, domain, secure));
    }
    kept
}
