//! What `affitor.diagnose()` (docs/contract.md §9) asks of the tracker: the facts its own rules give
//! (the settings as `config::parse` reads them, the cookie domain `click::cookies` writes at,
//! the click cookies, the outbox), as JSON for `loader/diagnose.js`, which makes the checks.
//!
//! Compiled only with the `diagnose` feature, which only the JavaScript fallback's build has: an
//! export in the wasm costs every visitor's download 600–800 B gzip (measured: 617 for the
//! leanest form, 789 as JSON), over twice the 300 B allowed. `diagnose()` imports the fallback
//! (the same crate compiled to JavaScript, so the same rules; it runs under any CSP) and asks
//! it; where the fallback is the tracker running (a CSP without 'wasm-unsafe-eval'), it is
//! that same instance. `diagnosis` only reads: it starts nothing, and the one cookie it writes
//! (the probe) it removes.

use crate::browser::{self, page};
use crate::click::{cookies, jar};
use crate::config::{self, Problem};
use crate::json::Obj;
use crate::lead::{delivery, host::Web, outbox::Outbox};
use crate::state;
use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::prelude::*;

/// The check of docs/contract.md §9 a problem of the tag belongs to.
fn check(p: &Problem) -> &'static str {
    match p {
        Problem::MissingProgramId | Problem::BadProgramId(_) => "program-id",
        Problem::BadApiBase(_) => "api-base",
        Problem::BadTimeout(_) => "timeout",
        Problem::BadCookieDomain(_) => "cookies",
        #[cfg(any(test, feature = "handoff"))]
        Problem::BadDomain(_) => "domains",
        Problem::BadSwitch(name, _) => name.strip_prefix("data-affitor-").unwrap_or(name),
    }
}

/// `diagnosis(tag)`: the facts, as JSON text, for the tag (or `init()`'s settings) `tag`:
/// `programId`, `apiBase`, `debug`, `testMode`, `loopback` (this page's host is),
/// `problems` (pairs: check id, message), `cookieDomain` (where the click cookies go; `null`:
/// this host only), `cookieOk` (a cookie written there reads back), `clickId`, `partner`,
/// `landing`, `outbox` (leads waiting), `oldestMs` (the oldest one's age), `attempts` (its
/// attempts so far).
#[wasm_bindgen]
pub fn diagnosis(tag: JsValue) -> String {
    let (c, found) = state::settings(&tag);
    let mut problems: Vec<String> = Vec::new();
    for p in &found {
        problems.push(String::from(check(p)));
        problems.push(p.message());
    }
    let domain = cookies::domain_for(c.cookie_domain.clone());
    let now = browser::now();
    // The started page's outbox (it may keep it in memory), else the stored one.
    let (waiting, oldest) = match state::page() {
        Some(page) => delivery::outbox(page).waiting(),
        None => Outbox::new(Web { url: String::new() }, String::new(), 0).waiting(),
    };
    let (oldest, attempts) = oldest.unwrap_or((now, 0));
    Obj::new()
        .opt_str("programId", c.program_id.as_deref())
        .str("apiBase", &c.api_base)
        .bool("debug", c.debug)
        .bool("testMode", c.test_mode)
        .bool("loopback", config::is_loopback(&page::hostname()))
        .strs("problems", &problems)
        .opt_str("cookieDomain", domain.as_deref())
        .bool("cookieOk", cookies::probe(domain.as_deref()))
        .opt_str("clickId", cookies::click_id().as_deref())
        .opt_str("partner", cookies::partner().as_deref())
        .opt_str(
            "landing",
            cookies::get(&page::cookies(), jar::AFF_URL).as_deref(),
        )
        .num("outbox", waiting as u64)
        .num("oldestMs", (now - oldest) as u64)
        .num("attempts", attempts as u64)
        .end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_problem_belongs_to_a_check() {
        assert_eq!(check(&Problem::MissingProgramId), "program-id");
        assert_eq!(check(&Problem::BadProgramId("x".into())), "program-id");
        assert_eq!(check(&Problem::BadApiBase("x".into())), "api-base");
        assert_eq!(check(&Problem::BadTimeout("x".into())), "timeout");
        assert_eq!(check(&Problem::BadCookieDomain("x".into())), "cookies");
        assert_eq!(
            check(&Problem::BadSwitch("data-affitor-test-mode", "x".into())),
            "test-mode"
        );
        assert_eq!(
            check(&Problem::BadSwitch("data-affitor-debug", "x".into())),
            "debug"
        );
    }
}
