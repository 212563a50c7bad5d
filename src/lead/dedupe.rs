//! One lead per customer from a browser: the fingerprints of the leads delivered, so a second
//! `signup()` of the same customer sends nothing. Fingerprints are salted with a random value
//! kept in this browser, so the list names no customer and cannot be matched across browsers
//! (with the salt at hand, a short numeric key can still be found by trying them all: the list
//! hides keys from a glance, not from someone who has the browser's storage).

use crate::browser::{self, storage};
use crate::text::{self, number, push_number};
use alloc::string::String;

pub const SENT_KEY: &str = "affitor_sent";
pub const SALT_KEY: &str = "affitor_salt";
/// The list remembers this many delivered leads, for this long.
pub const SENT_MAX: usize = 50;
pub const SENT_MAX_AGE_MS: u64 = 90 * 24 * 3600 * 1000;

/// The fingerprint of a lead: this browser's salt, the program and the customer key (or, for a
/// lead with no key, its click id).
pub fn fingerprint(program_id: Option<&str>, key: Option<&str>, click_id: Option<&str>) -> String {
    hash(&salt(), program_id, key, click_id)
}

/// The same parts, unsalted: the name of the Web Lock a page holds while it has this
/// customer's lead, which another tab must derive alike before it may have read the salt
/// (only the site's own scripts see lock names).
pub fn customer(program_id: Option<&str>, key: Option<&str>, click_id: Option<&str>) -> String {
    hash("", program_id, key, click_id)
}

fn hash(salt: &str, program_id: Option<&str>, key: Option<&str>, click_id: Option<&str>) -> String {
    let who = match key {
        Some(k) => ["k", k],
        None => ["c", click_id.unwrap_or("")],
    };
    crate::id::fingerprint(&[salt, program_id.unwrap_or(""), who[0], who[1]])
}

fn salt() -> String {
    if let Some(s) = storage::read(SALT_KEY).and_then(|v| v.as_string())
        && s.len() >= 8
    {
        return s;
    }
    let mut s = String::new();
    crate::id::base36((browser::random() * (1u64 << 52) as f64) as u64, &mut s);
    crate::id::base36((browser::random() * (1u64 << 52) as f64) as u64, &mut s);
    storage::write(SALT_KEY, &s);
    s
}

/// Was this lead delivered from this browser?
pub fn was_sent(fp: &str, now: f64) -> bool {
    has(&stored(), fp, now as u64)
}

/// Remembers a delivered lead.
pub fn sent(fp: &str, now: f64) {
    storage::write(SENT_KEY, &add(&stored(), fp, now as u64));
}

fn stored() -> String {
    storage::read(SENT_KEY)
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// The list, as stored: `fingerprint:time` pairs, comma-separated, oldest first.
pub fn has(stored: &str, fp: &str, now: u64) -> bool {
    pairs(stored, now).any(|(k, _)| k == fp)
}

/// The list with `fp` added (once), trimmed to its age and length bounds.
pub fn add(stored: &str, fp: &str, now: u64) -> String {
    let kept = pairs(stored, now).filter(|(k, _)| *k != fp).count();
    let mut skip = (kept + 1).saturating_sub(SENT_MAX);
    let mut out = String::new();
    // A plain loop, `fp` last: `skip()` and `chain()` cost their own iterator code.
    for (k, t) in pairs(stored, now) {
        if k == fp {
            continue;
        }
        if skip > 0 {
            skip -= 1;
            continue;
        }
        push_pair(&mut out, k, t);
    }
    push_pair(&mut out, fp, now);
    out
}

fn push_pair(out: &mut String, k: &str, t: u64) {
    if !out.is_empty() {
        out.push(',');
    }
    out.push_str(k);
    out.push(':');
    push_number(out, t);
}

fn pairs(stored: &str, now: u64) -> impl Iterator<Item = (&str, u64)> {
    text::split(stored, b',').filter_map(move |pair| {
        let (k, t) = text::split_once(pair, b':')?;
        let t = number(t)?;
        (!k.is_empty() && now.saturating_sub(t) < SENT_MAX_AGE_MS).then_some((k, t))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_bounded_and_ages() {
        let now = 10 * SENT_MAX_AGE_MS;
        let mut list = String::new();
        for i in 0..60u64 {
            let mut k = String::from("k");
            push_number(&mut k, i);
            list = add(&list, &k, now + i);
        }
        assert!(has(&list, "k59", now) && has(&list, "k10", now));
        assert!(
            !has(&list, "k9", now),
            "only the newest {SENT_MAX} are kept"
        );
        assert_eq!(list.split(',').count(), SENT_MAX);
        assert!(!has(&list, "k59", now + 60 + SENT_MAX_AGE_MS));
        assert_eq!(add("k1:5", "k1", now), {
            let mut s = String::from("k1:");
            push_number(&mut s, now);
            s
        });
        assert!(!has("garbage,:,k:x", "k", now));
    }

    #[test]
    fn a_customer_is_named_alike_in_every_tab() {
        let named = |p, k, c| customer(p, k, c);
        assert_eq!(
            named(Some("42"), Some("u1"), None),
            named(Some("42"), Some("u1"), Some("cust_1"))
        );
        assert_ne!(
            named(Some("42"), Some("u1"), None),
            named(Some("43"), Some("u1"), None)
        );
        // A keyless lead is named by its click id, never alike with a key of the same text.
        assert_ne!(
            named(Some("42"), None, Some("x")),
            named(Some("42"), Some("x"), None)
        );
        assert!(!named(Some("42"), Some("u1"), None).contains("u1"));
    }
}
