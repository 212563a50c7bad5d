//! The tracker's first-party cookies (CONTRACT.md §3): reading `document.cookie`, and the
//! percent-encoding the values are stored in.

use crate::text;
use alloc::string::String;
use alloc::vec::Vec;

pub const CLICK_ID: &str = "affitor_click_id";
pub const CLICK_IDS: &str = "affitor_click_ids";
pub const AFF_URL: &str = "affitor_aff_url";
/// Written by older trackers; read as a click id when `affitor_click_id` is absent.
pub const LEGACY_CLICK_ID: &str = "customer_code";
/// The click-id history keeps this many ids, the newest last.
pub const HISTORY_MAX: usize = 20;

/// The raw value of cookie `name` in a `document.cookie` string (first match, quotes removed).
pub fn find<'a>(cookies: &'a str, name: &str) -> Option<&'a str> {
    text::split(cookies, b';').find_map(|pair| {
        let (k, v) = text::split_once(pair, b'=')?;
        if k.trim_ascii() != name {
            return None;
        }
        let v = v.trim_ascii();
        Some(
            v.strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v),
        )
    })
}

/// The decoded, non-empty value of cookie `name`.
pub fn get(cookies: &str, name: &str) -> Option<String> {
    let v = decode(find(cookies, name)?);
    if v.is_empty() { None } else { Some(v) }
}

/// The click id: `affitor_click_id`, else the legacy `customer_code`.
pub fn click_id(cookies: &str) -> Option<String> {
    get(cookies, CLICK_ID).or_else(|| get(cookies, LEGACY_CLICK_ID))
}

/// The click-id history: `|`-separated ids, oldest first, empty items dropped.
pub fn history(cookies: &str) -> Vec<String> {
    get(cookies, CLICK_IDS)
        .map(|v| {
            text::split(&v, b'|')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// `decodeURIComponent`, except that a value that is not valid percent-encoded UTF-8 is
/// returned as it is: a cookie another script wrote is still a value we can send.
pub fn decode(raw: &str) -> String {
    if !raw.as_bytes().contains(&b'%') {
        return String::from(raw);
    }
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            match (b.get(i + 1).and_then(hex), b.get(i + 2).and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => return String::from(raw),
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| String::from(raw))
}

fn hex(c: &u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `encodeURIComponent`: everything but `A-Z a-z 0-9 - _ . ! ~ * ' ( )` is percent-encoded,
/// so `;`, `=`, `,`, spaces and non-ASCII survive a round trip through `document.cookie`.
pub fn encode(v: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(v.len());
    for &c in v.as_bytes() {
        if c.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&c) {
            out.push(c as char);
        } else {
            out.push('%');
            out.push(HEX[(c >> 4) as usize] as char);
            out.push(HEX[(c & 15) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_others() {
        let jar = "a=1; affitor_click_id=cust_42_1714000000000; affitor_click_id_x=no";
        assert_eq!(find(jar, CLICK_ID), Some("cust_42_1714000000000"));
        assert_eq!(find(jar, "b"), None);
        assert_eq!(find("", CLICK_ID), None);
        assert_eq!(find("x_affitor_click_id=1", CLICK_ID), None);
    }

    #[test]
    fn strips_quotes_and_spaces() {
        assert_eq!(find(" affitor_click_id = \"abc\" ", CLICK_ID), Some("abc"));
    }

    #[test]
    fn falls_back_to_the_legacy_cookie() {
        assert_eq!(
            click_id("customer_code=old_1; x=2").as_deref(),
            Some("old_1")
        );
        assert_eq!(
            click_id("customer_code=old_1; affitor_click_id=new_2").as_deref(),
            Some("new_2")
        );
        assert_eq!(
            click_id("affitor_click_id=; customer_code=old_1").as_deref(),
            Some("old_1")
        );
        assert_eq!(click_id("x=1"), None);
    }

    #[test]
    fn reads_the_history_oldest_first() {
        let jar = "affitor_click_ids=cust_1_1%7Ccust_1_2%7C%7Ccust_2_3";
        assert_eq!(history(jar), ["cust_1_1", "cust_1_2", "cust_2_3"]);
        assert!(history("a=b").is_empty());
    }

    #[test]
    fn percent_encoding_round_trips_awkward_values() {
        for v in ["a;b=c", "100%", "é ü 😀", "x|y", "plain_1", ""] {
            let enc = encode(v);
            assert!(!enc.contains(';') && !enc.contains('=') && !enc.contains(' '));
            assert_eq!(decode(&enc), v);
        }
        assert_eq!(encode("a b;é"), "a%20b%3B%C3%A9");
    }

    #[test]
    fn malformed_encoding_is_kept_as_written() {
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz1"), "%zz1");
        assert_eq!(decode("%C3"), "%C3");
    }
}
