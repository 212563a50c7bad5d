//! The cross-domain hand-off's rules (CONTRACT.md §8): which destinations carry the click id,
//! how it is added to their address, and which landing's `affitor_click_id` is adopted.

use crate::text;
use alloc::string::String;

/// The query parameter that carries the click id from one site to the next.
pub const PARAM: &str = "affitor_click_id";
/// A click id longer than this is not one of the API's.
const ID_MAX: usize = 128;

/// The host of an absolute `http:`/`https:` URL, lower-cased, without credentials or port;
/// `None` for any other URL (`mailto:`, `javascript:`, relative).
pub fn host(url: &str) -> Option<String> {
    let (scheme, rest) = text::split_once(url, b':')?;
    let rest = rest.strip_prefix("//")?;
    if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
        return None;
    }
    let end = rest
        .bytes()
        .position(|b| text::has_any_byte(b, b"/?#\\"))
        .unwrap_or(rest.len());
    let mut host = &rest[..end];
    while let Some((_, after)) = text::split_once(host, b'@') {
        host = after;
    }
    let host = match host.strip_prefix('[') {
        Some(v6) => text::split(v6, b']').next().unwrap_or(""),
        None => text::split(host, b':').next().unwrap_or(""),
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

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

/// The address a navigation from `page_host` to `url` should go to: `url` with
/// `affitor_click_id=<click_id>`, when its host is listed (and is not this page's own) and a
/// plausible click id is held; `None` means the navigation goes as it is.
pub fn outbound(
    domains: &[String],
    page_host: &str,
    url: &str,
    click_id: Option<&str>,
) -> Option<String> {
    let id = click_id.filter(|id| plausible(id))?;
    let to = host(url)?;
    if to == page_host || !listed(domains, &to) {
        return None;
    }
    Some(with_param(url, id))
}

/// `url` with `affitor_click_id=<id>` as its last query parameter (an earlier one removed),
/// before the fragment. `id` is plausible, so it needs no encoding.
pub fn with_param(url: &str, id: &str) -> String {
    let (rest, fragment) = match text::split_once(url, b'#') {
        Some((r, f)) => (r, Some(f)),
        None => (url, None),
    };
    let mut out = without_param(rest);
    out.push(if text::has(&out, b'?') { '&' } else { '?' });
    out.push_str(PARAM);
    out.push('=');
    out.push_str(id);
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// The raw value of the `affitor_click_id` parameter of `url`, if it has one.
pub fn param(url: &str) -> Option<&str> {
    let before_fragment = text::split(url, b'#').next()?;
    let (_, query) = text::split_once(before_fragment, b'?')?;
    text::split(query, b'&').find_map(|pair| match text::split_once(pair, b'=') {
        Some((k, v)) if k == PARAM => Some(v),
        None if pair == PARAM => Some(""),
        _ => None,
    })
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
    fn hosts_of_urls() {
        assert_eq!(
            host("https://App.Example.io/x?y#z").as_deref(),
            Some("app.example.io")
        );
        assert_eq!(host("http://u:p@b.test:8080/").as_deref(), Some("b.test"));
        assert_eq!(host("HTTPS://b.test").as_deref(), Some("b.test"));
        assert_eq!(host("https://b.test./").as_deref(), Some("b.test"));
        assert_eq!(host("http://[::1]:80/").as_deref(), Some("::1"));
        assert_eq!(
            host("https://evil.test\\@b.test/").as_deref(),
            Some("evil.test")
        );
        for none in [
            "mailto:a@b.test",
            "javascript:alert(1)",
            "/relative",
            "ftp://b.test/",
            "https:///x",
        ] {
            assert_eq!(host(none), None, "{none}");
        }
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
        let d = list(&["app-b.test"]);
        let id = Some("cust_42_1714000000000");
        assert_eq!(
            outbound(
                &d,
                "site-a.test",
                "http://app-b.test:81/signup?plan=pro#top",
                id
            )
            .as_deref(),
            Some("http://app-b.test:81/signup?plan=pro&affitor_click_id=cust_42_1714000000000#top")
        );
        assert_eq!(outbound(&d, "site-a.test", "http://other.test/", id), None);
        assert_eq!(
            outbound(&d, "site-a.test", "http://app-b.test/", None),
            None
        );
        assert_eq!(
            outbound(&d, "site-a.test", "http://app-b.test/", Some("a b")),
            None
        );
        assert_eq!(
            outbound(&d, "app-b.test", "http://app-b.test/", id),
            None,
            "same host"
        );
        assert_eq!(outbound(&d, "site-a.test", "mailto:x@app-b.test", id), None);
    }

    #[test]
    fn the_parameter_is_replaced_not_repeated() {
        assert_eq!(
            with_param("https://b.test", "c1"),
            "https://b.test?affitor_click_id=c1"
        );
        assert_eq!(
            with_param("https://b.test/?affitor_click_id=old&x=1", "c2"),
            "https://b.test/?x=1&affitor_click_id=c2"
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
