//! One lead per customer from a browser: the fingerprints of the leads delivered, so a second
//! `signup()` of the same customer sends nothing. Fingerprints are salted with a random value
//! kept in this browser, so the list names no customer and cannot be matched across browsers
//! (with the salt at hand, a short numeric key can still be found by trying them all: the list
//! hides keys from a glance, not from someone who has the browser's storage).

use crate::text::{self, number, push_number};
use alloc::string::String;

pub const SENT_KEY: &str = "affitor_sent";
pub const SALT_KEY: &str = "affitor_salt";
/// The list remembers this many delivered leads, for this long.
pub const SENT_MAX: usize = 50;
pub const SENT_MAX_AGE_MS: u64 = 90 * 24 * 3600 * 1000;

/// Whose lead it is: the parts its fingerprint is made of.
#[derive(Clone, Copy)]
pub struct Who<'a> {
    pub program_id: Option<&'a str>,
    pub customer_key: Option<&'a str>,
    /// Names a lead with no customer key.
    pub click_id: Option<&'a str>,
}

/// The fingerprint of a lead: this browser's salt, the program and the customer key (or, for a
/// lead with no key, its click id).
pub fn fingerprint(salt: &str, who: Who) -> String {
    hash(salt, who)
}

/// The same parts, unsalted: the name of the Web Lock a page holds while it has this
/// customer's lead, which another tab must derive alike before it may have read the salt
/// (only the site's own scripts see lock names).
pub fn customer(who: Who) -> String {
    hash("", who)
}

fn hash(salt: &str, who: Who) -> String {
    let named = match who.customer_key {
        Some(k) => ["k", k],
        None => ["c", who.click_id.unwrap_or("")],
    };
    crate::id::fingerprint(&[salt, who.program_id.unwrap_or(""), named[0], named[1]])
}

/// A stored salt, if it is one (a page may have written anything there).
pub fn usable_salt(stored: Option<String>) -> Option<String> {
    stored.filter(|s| s.len() >= 8)
}

/// A new salt, from two random numbers in [0, 1).
pub fn new_salt(a: f64, b: f64) -> String {
    let mut s = String::new();
    crate::id::base36((a * (1u64 << 52) as f64) as u64, &mut s);
    crate::id::base36((b * (1u64 << 52) as f64) as u64, &mut s);
    s
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
        let named = |program_id, customer_key, click_id| {
            customer(Who {
                program_id,
                customer_key,
                click_id,
            })
        };
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
