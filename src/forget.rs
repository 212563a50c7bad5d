//! `affitor.forget()` (docs/contract.md §10): a visitor withdrew consent, so everything the tracker
//! wrote in this browser goes (its cookies at every domain it may have set them, its
//! `localStorage` keys), and the tracker stops on this page: what it would write or send from
//! now on, it refuses.

use crate::browser::{page, storage};
use crate::click::{cookies, jar, rules};
use crate::lead;
use crate::outcome::Outcome;
use crate::state;
use alloc::vec::Vec;

/// Every cookie the tracker writes (docs/contract.md §3).
pub const COOKIES: [&str; 4] = [
    jar::CLICK_ID,
    jar::CLICK_IDS,
    jar::AFF_URL,
    jar::LEGACY_CLICK_ID,
];

/// Every `localStorage` key the tracker (or its loader) writes.
pub const STORAGE: [&str; 5] = [
    crate::click::landing::KEY,
    lead::entry::KEY,
    lead::PENDING_KEY,
    lead::dedupe::SENT_KEY,
    lead::dedupe::SALT_KEY,
];

/// The domains the tracker's cookies may have been written at on `host`, besides host-only:
/// each parent domain the cookie-domain rule tries (`rules::domain_candidates`, so also the one
/// it picked), and the configured `data-affitor-cookie-domain`.
pub fn cookie_domains<'a>(host: &'a str, configured: Option<&'a str>) -> Vec<&'a str> {
    let mut domains = rules::domain_candidates(host);
    domains.extend(configured);
    domains
}

/// Removes what the tracker stored and stops it on this page.
pub fn forget() -> Outcome {
    let Some(page) = state::page() else {
        return Outcome::failed(None, "the tracker has not started");
    };
    let host = page::hostname();
    cookies::expire(
        &COOKIES,
        &cookie_domains(&host, page.config.cookie_domain.as_deref()),
    );
    // From now on nothing is written: a lead or click answered later must not write back.
    crate::browser::task::stop();
    storage::forget(&STORAGE);
    crate::browser::console::debug("forgot this browser's click and leads", &"".into());
    Outcome::Done
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn every_domain_a_cookie_may_be_at() {
        assert_eq!(
            cookie_domains("www.shop.example.com", Some(".example.com")),
            vec![
                "example.com",
                "shop.example.com",
                "www.shop.example.com",
                ".example.com"
            ]
        );
        assert_eq!(cookie_domains("localhost", None), Vec::<&str>::new());
        assert_eq!(cookie_domains("127.0.0.1", Some("x.test")), vec!["x.test"]);
    }

    #[test]
    fn every_cookie_and_key() {
        assert_eq!(
            COOKIES,
            [
                "affitor_click_id",
                "affitor_click_ids",
                "affitor_aff_url",
                "customer_code"
            ]
        );
        assert_eq!(
            STORAGE,
            [
                "affitor_landings",
                "affitor_outbox",
                "affitor_pending",
                "affitor_sent",
                "affitor_salt"
            ]
        );
    }
}
