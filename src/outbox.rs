//! The outbox: leads written to `localStorage` before they are sent and removed once the API
//! has answered for good, so that a lead whose page closed, or whose retries ran out, goes
//! out on the visitor's next page view.
//!
//! Stored as text, one entry a line, tab-separated: JSON bodies escape tabs and newlines, and
//! every other field is an id or a number. A line that does not parse (corrupt, or another
//! script's) is dropped. Ownership is a lease: the page that holds an unexpired lease on an
//! entry is the only one that sends it, so two tabs flushing one outbox send it once.

use crate::text::{self, cat, number, push_number};
use alloc::string::String;
use alloc::vec::Vec;

/// `localStorage` keys.
pub const KEY: &str = "affitor_outbox";
pub const SENT_KEY: &str = "affitor_sent";

const VERSION: &str = "affitor-outbox-1";
/// An entry older than this is dropped: the lead is stale, and the email in it should go.
pub const MAX_AGE_MS: u64 = 7 * 24 * 3600 * 1000;
pub const MAX_ENTRIES: usize = 20;
/// The dedupe list remembers this many delivered leads, for this long.
pub const SENT_MAX: usize = 50;
pub const SENT_MAX_AGE_MS: u64 = 90 * 24 * 3600 * 1000;

/// One entry, read in place from the stored text.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a> {
    pub id: &'a str,
    /// Fingerprint of program and customer key: the same signup twice is one lead.
    pub key: &'a str,
    pub created: u64,
    pub attempts: u32,
    /// The session id of the page working on it, and until when (ms since the epoch).
    pub owner: &'a str,
    pub lease: u64,
    /// Waiting for a retry timer (rather than in flight).
    pub waiting: bool,
    pub url: &'a str,
    pub body: &'a str,
}

impl Entry<'_> {
    /// May the page `me` send this entry now?
    pub fn claimable(&self, me: &str, now: u64) -> bool {
        self.owner == me || self.lease <= now
    }
}

pub fn parse(stored: &str) -> Vec<Entry<'_>> {
    let mut lines = text::split(stored, b'\n');
    if lines.next() != Some(VERSION) {
        return Vec::new();
    }
    lines.filter_map(entry).collect()
}

fn entry(line: &str) -> Option<Entry<'_>> {
    let mut f = text::split(line, b'\t');
    let e = Entry {
        id: f.next()?,
        key: f.next()?,
        created: number(f.next()?)?,
        attempts: number(f.next()?)? as u32,
        owner: f.next()?,
        lease: number(f.next()?)?,
        waiting: f.next()? == "1",
        url: f.next()?,
        body: f.next()?,
    };
    let sane = f.next().is_none()
        && !e.id.is_empty()
        && e.url.starts_with("http")
        && e.body.starts_with('{')
        && e.body.ends_with('}');
    sane.then_some(e)
}

pub fn write(entries: &[Entry]) -> String {
    let mut out = String::from(VERSION);
    for e in entries {
        out.push('\n');
        out.push_str(e.id);
        out.push('\t');
        out.push_str(e.key);
        for n in [e.created, e.attempts as u64] {
            out.push('\t');
            push_number(&mut out, n);
        }
        out.push('\t');
        out.push_str(e.owner);
        out.push('\t');
        push_number(&mut out, e.lease);
        out.push_str(if e.waiting { "\t1\t" } else { "\t0\t" });
        out.push_str(e.url);
        out.push('\t');
        out.push_str(e.body);
    }
    out
}

/// Drops entries past their age and keeps the newest `MAX_ENTRIES`.
pub fn prune(entries: &mut Vec<Entry>, now: u64) {
    entries.retain(|e| now.saturating_sub(e.created) < MAX_AGE_MS);
    let excess = entries.len().saturating_sub(MAX_ENTRIES);
    entries.drain(..excess);
}

/// The dedupe list: `fingerprint:time` pairs, comma-separated, oldest first.
pub fn sent_has(stored: &str, key: &str, now: u64) -> bool {
    sent(stored, now).any(|(k, _)| k == key)
}

/// The list with `key` added (once), trimmed to its age and length bounds.
pub fn sent_add(stored: &str, key: &str, now: u64) -> String {
    let kept: Vec<(&str, u64)> = sent(stored, now).filter(|(k, _)| *k != key).collect();
    let skip = (kept.len() + 1).saturating_sub(SENT_MAX);
    let mut out = String::new();
    for (k, t) in kept.iter().skip(skip).copied().chain([(key, now)]) {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(k);
        out.push(':');
        push_number(&mut out, t);
    }
    out
}

fn sent(stored: &str, now: u64) -> impl Iterator<Item = (&str, u64)> {
    text::split(stored, b',').filter_map(move |pair| {
        let (k, t) = text::split_once(pair, b':')?;
        let t = number(t)?;
        (!k.is_empty() && now.saturating_sub(t) < SENT_MAX_AGE_MS).then_some((k, t))
    })
}

/// An entry id: the session id and a per-page counter.
pub fn entry_id(session_id: &str, n: u32) -> String {
    let mut s = cat(&[session_id, "."]);
    push_number(&mut s, n as u64);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn sample(id: &str) -> Entry<'_> {
        Entry {
            id,
            key: "k1",
            created: 1_714_000_000_000,
            attempts: 2,
            owner: "s_a",
            lease: 1_714_000_005_000,
            waiting: true,
            url: "https://api.affitor.com/api/v1/track/lead",
            body: r#"{"customer_key":"tab\there","note":"line\nbreak"}"#,
        }
    }

    #[test]
    fn round_trips_its_own_format() {
        let entries = vec![
            sample("s_a.1"),
            Entry {
                waiting: false,
                ..sample("s_a.2")
            },
        ];
        let stored = write(&entries);
        assert!(stored.starts_with("affitor-outbox-1\n"));
        assert_eq!(parse(&stored), entries);
        assert_eq!(parse(&write(&[])), vec![]);
    }

    #[test]
    fn corrupt_or_foreign_contents_are_dropped() {
        let good = write(&[sample("s_a.1")]);
        for junk in [
            "",
            "[]",
            "{\"a\":1}",
            "affitor-outbox-0\nx",
            "\u{0}\u{1}",
            "null",
        ] {
            assert_eq!(parse(junk), vec![], "{junk:?}");
        }
        let mixed = [
            good.as_str(),
            "\nnot\tan\tentry",
            "\n",
            "\ns\tk\tx\t1\to\t0\t0\thttp://a\t{}",
        ]
        .concat();
        assert_eq!(parse(&mixed), vec![sample("s_a.1")]);
        // A truncated line (a quota-cut write) is dropped, not half-read.
        let cut = &good[..good.len() - 3];
        assert_eq!(parse(cut), vec![]);
    }

    #[test]
    fn prunes_by_age_and_count() {
        let now = 1_714_000_000_000 + MAX_AGE_MS;
        let mut old = vec![sample("old")];
        prune(&mut old, now);
        assert!(old.is_empty());
        let mut many: Vec<Entry> = (0..30)
            .map(|i| Entry {
                created: now - 1000 + i,
                ..sample("x")
            })
            .collect();
        prune(&mut many, now);
        assert_eq!(many.len(), MAX_ENTRIES);
        assert_eq!(many[0].created, now - 1000 + 10, "the oldest go first");
    }

    #[test]
    fn leases_decide_who_sends() {
        let e = sample("s_a.1");
        assert!(e.claimable("s_a", 0), "its owner may");
        assert!(
            !e.claimable("s_b", e.lease - 1),
            "another page waits for the lease"
        );
        assert!(e.claimable("s_b", e.lease), "an expired lease is free");
    }

    #[test]
    fn the_dedupe_list_is_bounded_and_ages() {
        let now = 10 * SENT_MAX_AGE_MS;
        let mut list = String::new();
        for i in 0..60u64 {
            let mut k = String::from("k");
            push_number(&mut k, i);
            list = sent_add(&list, &k, now + i);
        }
        assert!(sent_has(&list, "k59", now) && sent_has(&list, "k10", now));
        assert!(
            !sent_has(&list, "k9", now),
            "only the newest {SENT_MAX} are kept"
        );
        assert_eq!(list.split(',').count(), SENT_MAX);
        assert!(!sent_has(&list, "k59", now + 60 + SENT_MAX_AGE_MS));
        assert_eq!(sent_add("k1:5", "k1", now), {
            let mut s = String::from("k1:");
            push_number(&mut s, now);
            s
        });
        assert!(!sent_has("garbage,:,k:x", "k", now));
    }

    #[test]
    fn numbers() {
        let mut s = String::new();
        push_number(&mut s, 0);
        s.push(' ');
        push_number(&mut s, 1_714_000_000_000);
        assert_eq!(s, "0 1714000000000");
        assert_eq!(number("1714000000000"), Some(1_714_000_000_000));
        assert_eq!(number("1a"), None);
        assert_eq!(number(""), None);
        assert_eq!(entry_id("s_x", 3), "s_x.3");
    }
}
