//! The tracker's first-party cookies (docs/contract.md §3), found in a `document.cookie` string.
//! Values are stored percent-encoded; the browser's `decodeURIComponent` decodes them
//! (`page::decode`).

use crate::text;
use alloc::string::String;
use alloc::vec::Vec;

pub const CLICK_ID: &str = "affitor_click_id";
pub const CLICK_IDS: &str = "affitor_click_ids";
pub const AFF_URL: &str = "affitor_aff_url";
/// Written by older trackers (and, for older server code, by this one beside
/// `affitor_click_id`); read as a click id when `affitor_click_id` is absent.
pub const LEGACY_CLICK_ID: &str = "customer_code";
pub use crate::wire::HISTORY_MAX;
/// A stored click id longer than this is not one of the API's.
const ID_MAX: usize = 128;

/// The raw value of cookie `name` in a `document.cookie` string (first match, quotes removed).
pub fn find<'a>(cookies: &'a str, name: &str) -> Option<&'a str> {
    text::split(cookies, b';').find_map(|pair| {
        let (k, v) = text::split_once(pair, b'=')?;
        if k.trim_ascii() != name {
            return None;
        }
        let v = v.trim_ascii();
        Some(
            v.strip_prefix("\"")
                .and_then(|v| v.strip_suffix("\""))
                .unwrap_or(v),
        )
    })
}

/// The raw value of the click-id cookie: `affitor_click_id`, else the legacy `customer_code`.
pub fn click_id(cookies: &str) -> Option<&str> {
    find(cookies, CLICK_ID)
        .filter(|v| !v.is_empty())
        .or_else(|| find(cookies, LEGACY_CLICK_ID).filter(|v| !v.is_empty()))
}

/// The click-id history from the decoded `affitor_click_ids` value: `|`-separated ids,
/// oldest first, at most the newest [`HISTORY_MAX`]; empty and overlong items dropped.
pub fn history(decoded: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in text::split(decoded, b'|').filter(|s| !s.is_empty() && s.len() <= ID_MAX) {
        if ids.len() == HISTORY_MAX {
            ids.remove(0);
        }
        ids.push(String::from(id));
    }
    ids
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
        assert_eq!(find("affitor_click_id=a=b", CLICK_ID), Some("a=b"));
    }

    #[test]
    fn strips_quotes_and_spaces() {
        assert_eq!(find(" affitor_click_id = \"abc\" ", CLICK_ID), Some("abc"));
    }

    #[test]
    fn falls_back_to_the_legacy_cookie() {
        assert_eq!(click_id("customer_code=old_1; x=2"), Some("old_1"));
        assert_eq!(
            click_id("customer_code=old_1; affitor_click_id=new_2"),
            Some("new_2")
        );
        assert_eq!(
            click_id("affitor_click_id=; customer_code=old_1"),
            Some("old_1")
        );
        assert_eq!(click_id("x=1"), None);
    }

    #[test]
    fn reads_the_history_oldest_first() {
        assert_eq!(
            history("cust_1_1|cust_1_2||cust_2_3"),
            ["cust_1_1", "cust_1_2", "cust_2_3"]
        );
        assert!(history("").is_empty());
        let many: Vec<String> = (0..2000).map(|i| alloc::format!("c{i}")).collect();
        let h = history(&many.join("|"));
        assert_eq!(h.len(), HISTORY_MAX);
        assert_eq!(h.last().map(String::as_str), Some("c1999"));
    }
}
