//! Click capture's rules (docs/contract.md §3, §5): the `aff` parameter of a landing URL, the click
//! request, and the cookies its answer is kept in.

use crate::json::Obj;
use crate::text::{self, cat};
use alloc::string::String;
use alloc::vec::Vec;

/// The raw (still percent-encoded) value of the `aff` query parameter of `url`, or, when the
/// query has none, of a hash route's query (`/#/signup?aff=X`): the click body's
/// `affiliate_url` is the full URL, so a hash-routed app's partner link is a click too.
pub fn aff_param(url: &str) -> Option<&str> {
    let (before_fragment, fragment) = text::split_once(url, b'#').unwrap_or((url, ""));
    query_aff(before_fragment).or_else(|| query_aff(fragment))
}

/// Whether `url`'s `aff` is in its hash route only (said in debug mode).
pub fn aff_in_hash(url: &str) -> bool {
    query_aff(text::split(url, b'#').next().unwrap_or("")).is_none() && aff_param(url).is_some()
}

fn query_aff(s: &str) -> Option<&str> {
    query_pairs(s).find_map(|(k, v)| (k == "aff" && !v.is_empty()).then_some(v))
}

/// The raw value of the first query parameter `name` of `url` (`""` for a bare `name`).
#[cfg(any(test, feature = "handoff"))]
pub fn query_param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    query_pairs(text::split(url, b'#').next()?).find_map(|(k, v)| (k == name).then_some(v))
}

/// The `key=value` pairs of the query of `s` (everything after its first `?`); a bare `key` has
/// the value `""`.
fn query_pairs(s: &str) -> impl Iterator<Item = (&str, &str)> {
    let query = text::split_once(s, b'?').map_or("", |(_, q)| q);
    text::split(query, b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| text::split_once(pair, b'=').unwrap_or((pair, "")))
}

/// The click-id history with `id` added last (moved there if already in it), at most
/// `HISTORY_MAX` ids, `|`-separated.
pub fn push_history(history: &[String], id: &str) -> String {
    let kept = |h: &&String| *h != id && !h.is_empty();
    let mut skip =
        (history.iter().filter(kept).count() + 1).saturating_sub(super::jar::HISTORY_MAX);
    let mut out = String::new();
    // A plain loop, `id` last: `skip()` and `chain()` cost their own iterator code.
    for h in history.iter().filter(kept) {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        out.push_str(h);
        out.push('|');
    }
    out.push_str(id);
    out
}

/// What the `affitor_aff_url` cookie keeps of a landing URL: its address without the
/// fragment and without any query parameter but `aff` (a reset token or an access token in the
/// URL must not travel in every Cookie header for 60 days), at most [`LANDING_MAX`] bytes.
pub fn landing_url(url: &str) -> String {
    // A hash route's address is the address: `https://s.example/#/signup`.
    let (page, fragment) = text::split_once(url, b'#').unwrap_or((url, ""));
    let base = if aff_in_hash(url) {
        &url[..page.len() + 1 + text::split(fragment, b'?').next().unwrap_or("").len()]
    } else {
        text::split(page, b'?').next().unwrap_or("")
    };
    let aff = aff_param(url).unwrap_or("");
    let aff = &aff[..floor(aff, AFF_MAX)];
    let base = &base[..floor(base, LANDING_MAX - "?aff=".len() - aff.len())];
    cat(&[base, "?aff=", aff])
}

pub const LANDING_MAX: usize = 1024;
/// The longest `aff` value (as in the URL, percent-encoded) a click is recorded for: the landing
/// cookie keeps it whole, so the next page view knows this partner's click is recorded.
pub const AFF_MAX: usize = 256;

/// The largest char boundary of `s` at or below `max`.
fn floor(s: &str, max: usize) -> usize {
    let mut at = max.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Hosts where a cookie gets no `domain` attribute: localhost, IP addresses, single labels.
pub fn host_only(host: &str) -> bool {
    !text::has(host, b'.')
        || text::has(host, b':')
        || host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || host == "localhost"
        || host.ends_with(".localhost")
}

/// Parent domains of `host` to try for the cookie, widest first: `a.b.example.co.uk` →
/// `co.uk`, `example.co.uk`, `b.example.co.uk`, `a.b.example.co.uk`. The browser refuses the
/// public suffixes, so the first one it accepts is the site's registrable domain.
pub fn domain_candidates(host: &str) -> Vec<&str> {
    let mut out = Vec::new();
    if host_only(host) {
        return out;
    }
    let mut rest = host;
    out.push(host);
    while let Some((_, parent)) = text::split_once(rest, b'.') {
        if !text::has(parent, b'.') {
            break;
        }
        out.push(parent);
        rest = parent;
    }
    out.reverse();
    out
}

/// One `Set-Cookie`-style line for `document.cookie`.
pub fn cookie_line(
    name: &str,
    encoded: &str,
    max_age_s: u64,
    domain: Option<&str>,
    secure: bool,
) -> String {
    let mut s = cat(&[name, "=", encoded, "; path=/; SameSite=Lax; max-age="]);
    crate::text::push_number(&mut s, max_age_s);
    if let Some(d) = domain {
        s.push_str("; domain=");
        s.push_str(d);
    }
    if secure {
        s.push_str("; Secure");
    }
    s
}

/// What the click request says about the visit (docs/contract.md §5).
pub struct Visit<'a> {
    pub affiliate_url: &'a str,
    /// The page's own address (for `trackClick(url)`, not `url`).
    pub page_url: &'a str,
    pub page_title: &'a str,
    pub referrer_url: &'a str,
    pub session_id: &'a str,
    pub user_agent: &'a str,
    pub screen_resolution: &'a str,
    pub viewport_size: &'a str,
    pub language: &'a str,
    pub timezone: &'a str,
    pub existing_click_id: Option<&'a str>,
    pub program_id: Option<&'a str>,
    pub test_mode: bool,
}

impl Visit<'_> {
    pub fn body(&self) -> String {
        let mut o = Obj::new();
        o.str("affiliate_url", self.affiliate_url)
            .str("page_url", self.page_url)
            .str("page_title", self.page_title)
            .opt_str(
                "referrer_url",
                Some(self.referrer_url).filter(|r| !r.is_empty()),
            )
            .str("session_id", self.session_id)
            .str("user_agent", self.user_agent)
            .str("screen_resolution", self.screen_resolution)
            .str("viewport_size", self.viewport_size)
            .str("language", self.language)
            .str("timezone", self.timezone);
        if let Some(id) = self.existing_click_id {
            o.str("existing_click_id", id);
        }
        if let Some(id) = self.program_id {
            o.raw("program_id", id);
        }
        // docs/contract.md §1: in test mode, every event carries the test markers.
        o.raw(
            "additional_data",
            &crate::wire::additional_data(self.test_mode, self.program_id),
        )
        .end()
    }
}

/// `"1920x1080"`.
pub fn size(w: u64, h: u64) -> String {
    let mut s = String::new();
    crate::text::push_number(&mut s, w);
    s.push('x');
    crate::text::push_number(&mut s, h);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn finds_the_aff_parameter() {
        assert_eq!(
            aff_param("https://s.example/pricing?aff=PARTNER1"),
            Some("PARTNER1")
        );
        assert_eq!(
            aff_param("https://s.example/?x=1&aff=P%202&y=2#aff=no"),
            Some("P%202")
        );
        assert_eq!(
            aff_param("https://s.example/#/signup?aff=H1&x=2"),
            Some("H1")
        );
        assert!(aff_in_hash("https://s.example/#/signup?aff=H1"));
        assert!(!aff_in_hash("https://s.example/?aff=Q#/signup?aff=H1"));
        assert_eq!(aff_param("https://s.example/#aff=no"), None);
        assert_eq!(aff_param("https://s.example/?affiliate=1&naff=2"), None);
        assert_eq!(aff_param("https://s.example/?aff="), None);
        assert_eq!(aff_param("https://s.example/"), None);
    }

    #[test]
    fn history_keeps_twenty_newest_last_without_repeats() {
        let h: Vec<String> = (0..25)
            .map(|i| {
                let mut s = String::from("c");
                crate::text::push_number(&mut s, i);
                s
            })
            .collect();
        let out = push_history(&h, "c3");
        let ids: Vec<&str> = out.split('|').collect();
        assert_eq!(ids.len(), 20);
        assert_eq!(ids.last(), Some(&"c3"));
        assert_eq!(ids.iter().filter(|i| **i == "c3").count(), 1);
        assert_eq!(ids[0], "c6");
        assert_eq!(push_history(&[], "x"), "x");
        assert_eq!(push_history(&["a".into(), "b".into()], "a"), "b|a");
    }

    #[test]
    fn the_landing_url_cookie_keeps_only_the_address_and_aff() {
        assert_eq!(
            landing_url("https://s.example/p?reset_token=x&aff=P1&utm=2#access_token=y"),
            "https://s.example/p?aff=P1"
        );
        let long = alloc::format!("https://s.example/{}?aff=P", "a".repeat(5000));
        let kept = landing_url(&long);
        assert!(
            kept.len() <= LANDING_MAX && kept.ends_with("?aff=P"),
            "{}",
            kept.len()
        );
        assert_eq!(aff_param(&kept), Some("P"));
        assert_eq!(
            landing_url("https://s.example/#/signup?token=t&aff=H1"),
            "https://s.example/#/signup?aff=H1"
        );
    }

    #[test]
    fn cookie_domains_widest_first() {
        assert_eq!(
            domain_candidates("a.b.example.co.uk"),
            vec![
                "co.uk",
                "example.co.uk",
                "b.example.co.uk",
                "a.b.example.co.uk"
            ]
        );
        assert_eq!(
            domain_candidates("www.example.com"),
            vec!["example.com", "www.example.com"]
        );
        assert_eq!(domain_candidates("example.com"), vec!["example.com"]);
        for host in [
            "localhost",
            "app.localhost",
            "127.0.0.1",
            "::1",
            "[::1]",
            "intranet",
        ] {
            assert!(domain_candidates(host).is_empty(), "{host}");
        }
    }

    #[test]
    fn cookie_lines() {
        assert_eq!(
            cookie_line(
                "affitor_click_id",
                "c%201",
                5_184_000,
                Some("example.com"),
                true
            ),
            "affitor_click_id=c%201; path=/; SameSite=Lax; max-age=5184000; domain=example.com; Secure"
        );
        assert_eq!(
            cookie_line("x", "1", 0, None, false),
            "x=1; path=/; SameSite=Lax; max-age=0"
        );
    }

    #[test]
    fn click_body_has_the_contract_fields() {
        let v = Visit {
            affiliate_url: "https://s.example/?aff=P1",
            page_url: "https://s.example/?aff=P1",
            page_title: "Pricing",
            referrer_url: "",
            session_id: "s_1",
            user_agent: "UA",
            screen_resolution: "1920x1080",
            viewport_size: "800x600",
            language: "en-US",
            timezone: "Europe/Paris",
            existing_click_id: Some("cust_42_1"),
            program_id: Some("42"),
            test_mode: false,
        };
        assert_eq!(
            v.body(),
            r#"{"affiliate_url":"https://s.example/?aff=P1","page_url":"https://s.example/?aff=P1","page_title":"Pricing","referrer_url":null,"session_id":"s_1","user_agent":"UA","screen_resolution":"1920x1080","viewport_size":"800x600","language":"en-US","timezone":"Europe/Paris","existing_click_id":"cust_42_1","program_id":42,"additional_data":{}}"#
        );
        assert_eq!(size(1920, 1080), "1920x1080");
        let test = Visit {
            test_mode: true,
            existing_click_id: None,
            ..v
        };
        assert!(
            test.body().ends_with(
                r#""program_id":42,"additional_data":{"test_mode":true,"program_id":42}}"#
            )
        );
    }
}
