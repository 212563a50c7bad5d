//! The cross-domain hand-off's rules (docs/contract.md §8): which destinations carry the click id,
//! how it is added to their address, and which landing's `affitor_click_id` is adopted.

use crate::text;
use alloc::string::String;

/// The query parameter that carries the click id from one site to the next.
pub const PARAM: &str = "affitor_click_id";
/// A click id longer than this is not one of the API's.
const ID_MAX: usize = 128;

/// Whether `host` is on the list: a name equal to an entry, or a subdomain of a `*.` entry
/// (`*.example.com` matches `app.example.com`, not `example.com`). Entries are lower-case.
pub fn listed(domains: &[String], host: &str) -> bool {
    domains.iter().any(|d| match d.strip_prefix("*.") {
        Some(parent) => host
            .strip_suffix(parent)
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => d == host,
    })
}

/// The click id a navigation from `page_host` to `host` carries: the one held, when `host` is
/// listed (and is not this page's own) and the id is plausible; `None`: the navigation goes as
/// it is.
pub fn outbound<'a>(
    domains: &[String],
    page_host: &str,
    host: &str,
    click_id: Option<&'a str>,
) -> Option<&'a str> {
    let host = host.strip_suffix('.').unwrap_or(host);
    click_id.filter(|id| plausible(id) && host != page_host && listed(domains, host))
}

/// The raw value of the `affitor_click_id` parameter of `url`, if it has one.
pub fn param(url: &str) -> Option<&str> {
    crate::click::rules::query_param(url, PARAM)
}

/// `url` without its `affitor_click_id` parameters (for the address bar, so the id is not
/// shared onward); the rest of it as it was.
pub fn without_param(url: &str) -> String {
    let (rest, fragment) = match text::split_once(url, b'#') {
        Some((r, f)) => (r, Some(f)),
        None => (url, None),
    };
    let mut out = match text::split_once(rest, b'?') {
        None => String::from(rest),
        Some((path, query)) => {
            let mut out = String::from(path);
            let mut first = true;
            for pair in text::split(query, b'&') {
                if pair == PARAM || pair.strip_prefix(PARAM).is_some_and(|r| r.starts_with('=')) {
                    continue;
                }
                out.push(if first { '?' } else { '&' });
                out.push_str(pair);
                first = false;
            }
            out
        }
    };
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// A value that can be one of the API's click ids: 1 to 128 of `A-Za-z0-9_.-`.
pub fn plausible(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= ID_MAX
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || text::has_any_byte(b, b"_.-"))
}

/// What the tracker does with a landing's `affitor_click_id`.
#[derive(Debug, PartialEq)]
pub enum Adopt<'a> {
    /// The landing has none.
    Nothing,
    /// Not a click id: ignored, with one warning.
    Junk,
    /// This browser holds it already: only the address bar is cleaned.
    Held,
    /// A new click id, kept as after a click (last click wins).
    Keep(&'a str),
}

/// The rule for the landing `url`, with the click id this browser holds.
pub fn adopt<'a>(url: &'a str, held: Option<&str>) -> Adopt<'a> {
    match param(url) {
        None => Adopt::Nothing,
        Some(id) if !plausible(id) => Adopt::Junk,
        Some(id) if held == Some(id) => Adopt::Held,
        Some(id) => Adopt::Keep(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn list(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| String::from(*s)).collect()
    }

    #[test]
    fn listed_hosts_and_subdomains() {
        let d = list(&["app.example-app.io", "*.example-checkout.com"]);
        assert!(listed(&d, "app.example-app.io"));
        assert!(!listed(&d, "www.example-app.io"));
        assert!(!listed(&d, "example-app.io"));
        assert!(listed(&d, "pay.example-checkout.com"));
        assert!(listed(&d, "a.b.example-checkout.com"));
        assert!(!listed(&d, "example-checkout.com"));
        assert!(!listed(&d, "evilexample-checkout.com"));
        assert!(!listed(&d, "example-checkout.com.evil.test"));
        assert!(!listed(&[], "app.example-app.io"));
    }

    #[test]
    fn outbound_only_to_listed_hosts_with_a_click_id() {
        let d = list(&["app-b.test", "*.b-checkout.test"]);
        let id = Some("cust_42_1714000000000");
        assert_eq!(outbound(&d, "site-a.test", "app-b.test", id), id);
        assert_eq!(outbound(&d, "site-a.test", "app-b.test.", id), id);
        assert_eq!(outbound(&d, "site-a.test", "pay.b-checkout.test", id), id);
        assert_eq!(outbound(&d, "site-a.test", "other.test", id), None);
        assert_eq!(outbound(&d, "site-a.test", "", id), None);
        assert_eq!(outbound(&d, "site-a.test", "app-b.test", None), None);
        assert_eq!(outbound(&d, "site-a.test", "app-b.test", Some("a b")), None);
        assert_eq!(
            outbound(&d, "app-b.test", "app-b.test", id),
            None,
            "same host"
        );
    }

    #[test]
    fn the_address_bar_loses_only_the_parameter() {
        assert_eq!(
            without_param("https://b.test/p?x=1&affitor_click_id=c1&y=2#f"),
            "https://b.test/p?x=1&y=2#f"
        );
        assert_eq!(
            without_param("https://b.test/p?affitor_click_id=c1"),
            "https://b.test/p"
        );
        assert_eq!(
            without_param("https://b.test/p?affitor_click_idx=1"),
            "https://b.test/p?affitor_click_idx=1"
        );
        assert_eq!(
            without_param("https://b.test/p#affitor_click_id=1"),
            "https://b.test/p#affitor_click_id=1"
        );
    }

    #[test]
    fn plausible_click_ids() {
        assert!(plausible("cust_42_1714000000000"));
        assert!(plausible("A-z.0_9"));
        assert!(plausible(&"a".repeat(128)));
        for junk in ["", "a b", "<script>", "a%20b", "é", &"a".repeat(129)] {
            assert!(!plausible(junk), "{junk}");
        }
    }

    #[test]
    fn adoption_follows_the_click_rules() {
        let url = "https://b.test/?affitor_click_id=cust_1";
        assert_eq!(adopt(url, None), Adopt::Keep("cust_1"));
        assert_eq!(
            adopt(url, Some("cust_0")),
            Adopt::Keep("cust_1"),
            "last click wins"
        );
        assert_eq!(adopt(url, Some("cust_1")), Adopt::Held);
        assert_eq!(
            adopt("https://b.test/?affitor_click_id=%3Cx%3E", None),
            Adopt::Junk
        );
        assert_eq!(
            adopt("https://b.test/?affitor_click_id=", None),
            Adopt::Junk
        );
        assert_eq!(adopt("https://b.test/?aff=P", None), Adopt::Nothing);
    }
}
