//! The `data-affitor-*` attributes of the script tag (docs/contract.md §1).

use crate::text::{self, cat};
use alloc::string::String;
use alloc::vec::Vec;

pub const DEFAULT_API_BASE: &str = "https://api.affitor.com";
pub const DEFAULT_TIMEOUT_MS: u32 = 1_000;
const MAX_TIMEOUT_MS: u32 = 30_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The program id as canonical decimal digits, ready to be written as a JSON number.
    pub program_id: Option<String>,
    /// Origin (and optional path prefix) of the tracking API, without a trailing slash.
    pub api_base: String,
    pub debug: bool,
    pub test_mode: bool,
    pub cookie_domain: Option<String>,
    /// How long `signup()` waits for the API before resolving with `queued: true`.
    pub timeout_ms: u32,
    /// `data-affitor-domains`: the other sites of the business, which links and forms carry
    /// the click id to (docs/contract.md §8); lower-case hosts, or `*.` and a parent domain.
    /// Only the hand-off build reads it (docs/cross-domain.md).
    #[cfg(any(test, feature = "handoff"))]
    pub domains: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            program_id: None,
            api_base: String::from(DEFAULT_API_BASE),
            debug: false,
            test_mode: false,
            cookie_domain: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            #[cfg(any(test, feature = "handoff"))]
            domains: Vec::new(),
        }
    }
}

/// Something wrong in the tag, reported once on the console; the tracker runs on regardless.
#[derive(Debug, PartialEq)]
pub enum Problem {
    MissingProgramId,
    BadProgramId(String),
    BadApiBase(String),
    BadCookieDomain(String),
    BadTimeout(String),
    #[cfg(any(test, feature = "handoff"))]
    BadDomain(String),
    /// A switch (`data-affitor-debug`, `data-affitor-test-mode`) that is neither on nor off.
    BadSwitch(&'static str, String),
}

impl Problem {
    /// `<setting> <rule>, ignoring: <value>`: the setting's name is the attribute's, so each
    /// name is in the wasm once.
    pub fn message(&self) -> String {
        let (name, rule, value) = match self {
            Problem::MissingProgramId => {
                return String::from(
                    "no program id: add data-affitor-program-id=\"<your program id>\" to the script tag (events are sent without one)",
                );
            }
            Problem::BadProgramId(v) => ("the program id", " must be a number", v),
            Problem::BadApiBase(v) => (API_BASE, " must be an https: URL (http: on localhost)", v),
            Problem::BadTimeout(v) => (TIMEOUT, " must be 0 to 30000 (ms)", v),
            Problem::BadCookieDomain(v) => (COOKIE_DOMAIN, " must be a domain name", v),
            #[cfg(any(test, feature = "handoff"))]
            Problem::BadDomain(v) => (
                "data-affitor-domains",
                " takes host names (or *.example.com), comma-separated",
                v,
            ),
            Problem::BadSwitch(name, v) => (*name, " must be true, false, 1, 0 or empty (on)", v),
        };
        cat(&[name, rule, ", ignoring: ", value])
    }
}

const API_BASE: &str = "data-affitor-api-base";
const TIMEOUT: &str = "data-affitor-timeout";
const COOKIE_DOMAIN: &str = "data-affitor-cookie-domain";

/// Reads the configuration through `attr` (the script tag's attributes, by full name);
/// `global_program_id` is `window.AFFITOR_PROGRAM_ID` as text, the fallback program id.
pub fn parse(
    attr: impl Fn(&str) -> Option<String>,
    global_program_id: Option<String>,
) -> (Config, Vec<Problem>) {
    let mut c = Config::default();
    let mut problems = Vec::new();

    let id = attr("data-affitor-program-id")
        .or_else(|| attr("data-affitor-program"))
        .or(global_program_id)
        .filter(|v| !v.trim_ascii().is_empty());
    match id {
        None => problems.push(Problem::MissingProgramId),
        Some(v) => match program_id(&v) {
            Some(id) => c.program_id = Some(id),
            None => problems.push(Problem::BadProgramId(v)),
        },
    }
    if let Some(v) = attr(API_BASE) {
        match api_base(&v) {
            Some(base) => c.api_base = base,
            None => problems.push(Problem::BadApiBase(v)),
        }
    }
    for (name, on) in [
        ("data-affitor-debug", &mut c.debug),
        ("data-affitor-test-mode", &mut c.test_mode),
    ] {
        match attr(name).map(|v| (switch(&v), v)) {
            None => {}
            Some((Some(b), _)) => *on = b,
            Some((None, v)) => problems.push(Problem::BadSwitch(name, v)),
        }
    }
    if let Some(v) = attr(COOKIE_DOMAIN).filter(|v| !v.trim_ascii().is_empty()) {
        match cookie_domain(&v) {
            Some(d) => c.cookie_domain = Some(d),
            None => problems.push(Problem::BadCookieDomain(v)),
        }
    }
    if let Some(v) = attr(TIMEOUT) {
        match crate::text::number(v.trim_ascii()).filter(|&ms| ms <= MAX_TIMEOUT_MS as u64) {
            Some(ms) => c.timeout_ms = ms as u32,
            None => problems.push(Problem::BadTimeout(v)),
        }
    }
    #[cfg(any(test, feature = "handoff"))]
    for v in text::split(&attr("data-affitor-domains").unwrap_or_default(), b',') {
        match domain_entry(v) {
            Some(d) => c.domains.push(d),
            None if v.trim_ascii().is_empty() => {}
            None => problems.push(Problem::BadDomain(String::from(v.trim_ascii()))),
        }
    }
    (c, problems)
}

/// A switch's value: `true`/`false` in any case, `1`/`0`, and a bare attribute (empty) is on;
/// anything else is no answer.
fn switch(v: &str) -> Option<bool> {
    match v.trim_ascii().to_ascii_lowercase().as_str() {
        "" | "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

/// How long the tracker waits, in milliseconds. The defaults are the product's; tests shorten
/// them with `window.AFFITOR_TEST_TIMINGS` (maintainers only) so no test waits out a lease.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timings {
    /// How long a page may hold an outbox entry it is sending before another may take it over.
    pub lease_ms: u32,
    /// The first retry's wait; each next one doubles (see `retry::delay`).
    pub retry_base_ms: u32,
    /// How long a signup waits for the landing page's click request before going without it.
    pub click_wait_ms: u32,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            lease_ms: 15_000,
            retry_base_ms: 1_000,
            click_wait_ms: 2_000,
        }
    }
}

impl Timings {
    /// The defaults, with each field `field(name)` gives (whole milliseconds, under 10 minutes).
    pub fn read(field: impl Fn(&str) -> Option<f64>) -> Timings {
        let pick = |name, default| {
            field(name)
                .filter(|ms| *ms >= 1.0 && *ms <= 600_000.0)
                .map_or(default, |ms| ms as u32)
        };
        let d = Timings::default();
        Timings {
            lease_ms: pick("leaseMs", d.lease_ms),
            retry_base_ms: pick("retryBaseMs", d.retry_base_ms),
            click_wait_ms: pick("clickWaitMs", d.click_wait_ms),
        }
    }
}

/// Up to 15 decimal digits (so it stays exact as a JavaScript number), leading zeros dropped.
pub fn program_id(v: &str) -> Option<String> {
    // Read as a number and written back: the leading zeros go, `0` stays.
    let mut id = String::new();
    text::push_number(&mut id, text::number(v.trim_ascii())?);
    Some(id)
}

/// An `https:` URL, or `http:` on a loopback host; no credentials, query or fragment.
pub fn api_base(v: &str) -> Option<String> {
    let mut v = v.trim_ascii();
    while let Some(rest) = v.strip_suffix("/") {
        v = rest;
    }
    let lower = v.to_ascii_lowercase();
    let secure = lower.starts_with("https://");
    let scheme = if secure { "https://" } else { "http://" };
    let rest = lower.strip_prefix(scheme)?;
    if text::has_any(rest, b"?#@ \\") {
        return None;
    }
    let authority = text::split(rest, b'/').next()?;
    // `[v6]:port` or `name:port`; what follows the host is a port or nothing, so
    // `http://[::1]evil.example` is refused rather than read as `[::1]`.
    let (host, port) = match authority.strip_prefix("[") {
        Some(v6) => {
            let (host, after) = text::split_once(v6, b']')?;
            let hex = |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.';
            (host.bytes().all(hex).then_some(host)?, after)
        }
        None => {
            let host = text::split(authority, b':').next()?;
            let name = |b: u8| b.is_ascii_alphanumeric() || text::has_any_byte(b, b"-._");
            (
                host.bytes().all(name).then_some(host)?,
                &authority[host.len()..],
            )
        }
    };
    // `:` and up to 5 digits, or nothing.
    let port_ok = port.is_empty() || port.strip_prefix(":").is_some_and(|p| is_digits(p, 5));
    if !port_ok || host.is_empty() || !(secure || is_loopback(host)) {
        return None;
    }
    // Keep the scheme lower-case but the path as written: a proxy path may be case-sensitive.
    Some(cat(&[scheme, &v[scheme.len()..]]))
}

pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host.strip_prefix("127.").is_some_and(|r| {
            text::split(r, b'.').count() == 3 && text::split(r, b'.').all(|o| is_digits(o, 3))
        })
}

/// 1 to `max` ASCII digits.
fn is_digits(s: &str, max: usize) -> bool {
    s.len() <= max && text::number(s).is_some()
}

/// An entry of `data-affitor-domains`: a host name, or `*.` and one, lower-cased.
#[cfg(any(test, feature = "handoff"))]
pub fn domain_entry(v: &str) -> Option<String> {
    let v = v.trim_ascii().to_ascii_lowercase();
    let name = v.strip_prefix("*.").unwrap_or(&v);
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && text::split(name, b'.').all(|label| !label.is_empty());
    ok.then_some(v)
}

/// A domain name with an optional leading dot, lower-cased.
fn cookie_domain(v: &str) -> Option<String> {
    let v = v.trim_ascii().to_ascii_lowercase();
    let name = v.strip_prefix(".").unwrap_or(&v);
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && text::split(name, b'.').all(|label| !label.is_empty());
    if ok { Some(v) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn tag(attrs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let attrs: Vec<(String, String)> = attrs
            .iter()
            .map(|(k, v)| (String::from(*k), String::from(*v)))
            .collect();
        move |name| {
            attrs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn reads_every_attribute() {
        let (c, problems) = parse(
            tag(&[
                ("data-affitor-program-id", "42"),
                ("data-affitor-api-base", "http://127.0.0.1:8080/"),
                ("data-affitor-debug", "true"),
                ("data-affitor-test-mode", "TRUE"),
                ("data-affitor-cookie-domain", ".Example.com"),
            ]),
            None,
        );
        assert_eq!(problems, vec![]);
        assert_eq!(c.program_id.as_deref(), Some("42"));
        assert_eq!(c.api_base, "http://127.0.0.1:8080");
        assert!(c.debug && c.test_mode);
        assert_eq!(c.cookie_domain.as_deref(), Some(".example.com"));
    }

    #[test]
    fn defaults_and_the_missing_program_id() {
        let (c, problems) = parse(tag(&[]), None);
        assert_eq!(problems, vec![Problem::MissingProgramId]);
        assert_eq!(c.api_base, DEFAULT_API_BASE);
        assert!(!c.debug && !c.test_mode && c.program_id.is_none());
        assert!(
            Problem::MissingProgramId
                .message()
                .contains("data-affitor-program-id")
        );
    }

    #[test]
    fn program_id_alias_and_global_fallback() {
        let (c, _) = parse(tag(&[("data-affitor-program", "7")]), Some("9".into()));
        assert_eq!(c.program_id.as_deref(), Some("7"));
        let (c, p) = parse(tag(&[]), Some("9".into()));
        assert_eq!((c.program_id.as_deref(), p.len()), (Some("9"), 0));
    }

    #[test]
    fn program_id_must_be_a_safe_integer() {
        assert_eq!(program_id(" 042 ").as_deref(), Some("42"));
        assert_eq!(program_id("0").as_deref(), Some("0"));
        for bad in ["", "4.2", "-1", "abc", "1e3", "1234567890123456"] {
            assert_eq!(program_id(bad), None, "{bad}");
        }
        let (c, p) = parse(tag(&[("data-affitor-program-id", "abc")]), None);
        assert_eq!(c.program_id, None);
        assert_eq!(p, vec![Problem::BadProgramId("abc".into())]);
    }

    #[test]
    fn api_base_is_https_or_loopback_http() {
        let ok = [
            ("https://api.affitor.com", "https://api.affitor.com"),
            (
                "HTTPS://Proxy.example.com/Affitor/",
                "https://Proxy.example.com/Affitor",
            ),
            ("http://localhost:8080", "http://localhost:8080"),
            ("http://127.0.0.1", "http://127.0.0.1"),
            ("http://[::1]:9000", "http://[::1]:9000"),
            ("http://dev.localhost", "http://dev.localhost"),
        ];
        for (input, want) in ok {
            assert_eq!(api_base(input).as_deref(), Some(want), "{input}");
        }
        for bad in [
            "http://api.affitor.com",
            "http://127.0.0.1.evil.com",
            "http://localhost@evil.com",
            "ftp://x",
            "javascript:alert(1)",
            "//api.affitor.com",
            "https://",
            "https://x.com?a=1",
            "http://[::1]evil.example:8080",
            "http://[::1]:80x",
            "https://x.com:",
        ] {
            assert_eq!(api_base(bad), None, "{bad}");
        }
    }

    // The implementation before 23's trim, or `http:` on a loopback host; no credentials, query or fragment.
    fn old_api_base(v: &str) -> Option<String> {
        let mut v = v.trim_ascii();
        while let Some(rest) = v.strip_suffix("/") {
            v = rest;
        }
        let lower = v.to_ascii_lowercase();
        let (secure, rest) = match lower.strip_prefix("https://") {
            Some(rest) => (true, rest),
            None => (false, lower.strip_prefix("http://")?),
        };
        if text::has_any(rest, b"?#@ \\") {
            return None;
        }
        let authority = text::split(rest, b'/').next().unwrap_or("");
        // `[v6]:port` or `name:port`; what follows the host is a port or nothing, so
        // `http://[::1]evil.example` is refused rather than read as `[::1]`.
        let (host, port) = match authority.strip_prefix("[") {
            Some(v6) => {
                let (host, after) = text::split_once(v6, b']')?;
                if !host
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
                {
                    return None;
                }
                (host, after)
            }
            None => {
                let host = text::split(authority, b':').next().unwrap_or("");
                if !host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || crate::text::has_any_byte(b, b"-._"))
                {
                    return None;
                }
                (host, &authority[host.len()..])
            }
        };
        let port_ok = port.is_empty()
            || port.strip_prefix(":").is_some_and(|p| {
                !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
            });
        if !port_ok {
            return None;
        }
        if host.is_empty() || !(secure || old_is_loopback(host)) {
            return None;
        }
        // Keep the scheme lower-case but the path as written: a proxy path may be case-sensitive.
        let scheme = if secure { "https://" } else { "http://" };
        Some(cat(&[scheme, v.get(scheme.len()..)?]))
    }

    fn old_is_loopback(host: &str) -> bool {
        host == "localhost"
            || host.ends_with(".localhost")
            || host == "::1"
            || host.strip_prefix("127.").is_some_and(|r| {
                text::split(r, b'.').count() == 3 && text::split(r, b'.').all(old_is_octet)
            })
    }

    fn old_is_octet(s: &str) -> bool {
        !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit())
    }
    #[test]
    fn api_base_reads_as_it_did() {
        let parts = [
            "",
            " ",
            "h",
            "H",
            "http",
            "https",
            "://",
            "[",
            "]",
            "::1",
            "127.0.0.1",
            "localhost",
            ".localhost",
            "x.localhost",
            "127.",
            "1",
            "0",
            ":",
            ":8",
            ":123456",
            "/",
            "//",
            "?",
            "#",
            "@",
            "\\",
            ".",
            "-",
            "_",
            "é",
            "[::1]",
            "[x]",
            "256.1.1",
            "a.b",
            "1.2.3",
            "1234.5.6",
        ];
        for a in [
            "",
            "http://",
            "https://",
            "HTTP://",
            "Https://",
            "ftp://",
            " https://",
        ] {
            for b in parts {
                for c in parts {
                    for d in ["", "/", "/P", "//", " "] {
                        let v = alloc::format!("{a}{b}{c}{d}");
                        assert_eq!(api_base(&v), old_api_base(&v), "{v:?}");
                        let v = alloc::format!("{a}{b}.{c}{d}");
                        assert_eq!(api_base(&v), old_api_base(&v), "{v:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_bad_api_base_keeps_the_default() {
        let (c, p) = parse(
            tag(&[
                ("data-affitor-program-id", "1"),
                ("data-affitor-api-base", "http://evil.com"),
            ]),
            None,
        );
        assert_eq!(c.api_base, DEFAULT_API_BASE);
        assert!(matches!(p[..], [Problem::BadApiBase(_)]));
    }

    #[test]
    fn signup_timeout_is_configurable() {
        assert_eq!(parse(tag(&[]), None).0.timeout_ms, 1000);
        assert_eq!(
            parse(tag(&[("data-affitor-timeout", "2500")]), None)
                .0
                .timeout_ms,
            2500
        );
        let (c, p) = parse(tag(&[("data-affitor-timeout", "1s")]), None);
        assert_eq!(c.timeout_ms, 1000);
        assert!(p.contains(&Problem::BadTimeout("1s".into())));
        assert!(
            parse(tag(&[("data-affitor-timeout", "99999")]), None)
                .1
                .len()
                == 2
        );
    }

    #[test]
    fn switches_are_true_false_one_zero_or_bare() {
        for on in ["", "true", "TRUE", " True ", "1"] {
            assert_eq!(switch(on), Some(true), "{on:?}");
        }
        for off in ["false", "FALSE", "0"] {
            assert_eq!(switch(off), Some(false), "{off:?}");
        }
        for bad in ["yes", "no", "on", "2", "truee"] {
            assert_eq!(switch(bad), None, "{bad:?}");
        }
        let (c, p) = parse(tag(&[("data-affitor-test-mode", "yes")]), Some("1".into()));
        assert!(!c.test_mode);
        assert_eq!(
            p,
            vec![Problem::BadSwitch("data-affitor-test-mode", "yes".into())]
        );
        assert!(
            p[0].message().contains("yes") && p[0].message().contains("data-affitor-test-mode")
        );
    }

    #[test]
    fn timings_take_sane_overrides_only() {
        assert_eq!(Timings::read(|_| None), Timings::default());
        let t = Timings::read(|k| match k {
            "leaseMs" => Some(1500.0),
            "retryBaseMs" => Some(-5.0),
            "clickWaitMs" => Some(f64::NAN),
            _ => None,
        });
        assert_eq!(t.lease_ms, 1500);
        assert_eq!(t.retry_base_ms, 1000);
        assert_eq!(t.click_wait_ms, 2000);
    }

    #[test]
    fn domains_are_a_comma_separated_list_of_hosts() {
        let (c, p) = parse(
            tag(&[
                ("data-affitor-program-id", "1"),
                (
                    "data-affitor-domains",
                    " App.Example-app.io, *.example-checkout.com,,x y ",
                ),
            ]),
            None,
        );
        assert_eq!(
            c.domains,
            vec!["app.example-app.io", "*.example-checkout.com"]
        );
        assert_eq!(p, vec![Problem::BadDomain("x y".into())]);
        assert!(parse(tag(&[]), None).0.domains.is_empty());
        for bad in ["*.", "https://x.io", "x..io", "*example.com", "a/b"] {
            assert_eq!(domain_entry(bad), None, "{bad}");
        }
    }

    #[test]
    fn cookie_domain_must_be_a_name() {
        assert_eq!(cookie_domain("example.com").as_deref(), Some("example.com"));
        assert_eq!(cookie_domain("a b"), None);
        assert_eq!(cookie_domain(".."), None);
    }
}
