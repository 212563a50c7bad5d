//! Byte-level string helpers. Every separator the tracker splits on is ASCII, so working on
//! bytes is exact, and it keeps core's Unicode tables and searchers out of the wasm.

use alloc::string::String;

/// Joins `parts` into one new string.
pub fn cat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// Splits `s` at every `sep` byte (an ASCII character).
pub fn split(s: &str, sep: u8) -> Parts<'_> {
    Parts { rest: Some(s), sep }
}

/// The pieces of a string between separators. One concrete iterator (no closure inside), so
/// every caller shares one copy of the scanning code.
pub struct Parts<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Iterator for Parts<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        match split_once(s, self.sep) {
            Some((head, tail)) => {
                self.rest = Some(tail);
                Some(head)
            }
            None => {
                self.rest = None;
                Some(s)
            }
        }
    }
}

/// The part before the first `sep`, and the part after it.
pub fn split_once(s: &str, sep: u8) -> Option<(&str, &str)> {
    debug_assert!(sep.is_ascii());
    let at = s.bytes().position(|b| b == sep)?;
    // SAFETY: `sep` is ASCII, so `at` and `at + 1` are character boundaries of `s`.
    unsafe { Some((s.get_unchecked(..at), s.get_unchecked(at + 1..))) }
}

/// Appends `n` in base `radix` (10 or 36): `0-9a-z`.
pub fn push_digits(out: &mut String, mut n: u64, radix: u64) {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut buf = [0u8; 64];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = DIGITS[(n % radix) as usize];
        n /= radix;
        if n == 0 {
            break;
        }
    }
    // SAFETY: the digits are ASCII.
    out.push_str(unsafe { core::str::from_utf8_unchecked(&buf[i..]) });
}

/// Appends `n` in decimal (no float or `Display` formatting in the wasm).
pub fn push_number(out: &mut String, n: u64) {
    push_digits(out, n, 10);
}

/// A decimal number of up to 15 digits (times in ms, counts).
pub fn number(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 15 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0, |n, b| n * 10 + (b - b'0') as u64))
}

/// Does `s` contain the byte `b`? (A plain scan: a slice's `contains` brings core's word-wise
/// memchr, a few hundred bytes of wasm, for strings of a few dozen bytes.)
pub fn has(s: &str, b: u8) -> bool {
    s.bytes().any(|c| c == b)
}

/// Is `b` one of `set`? (A plain scan, as [`has`].)
#[allow(clippy::manual_contains)]
pub fn has_any_byte(b: u8, set: &[u8]) -> bool {
    set.iter().any(|&c| c == b)
}

pub fn has_any(s: &str, bytes: &[u8]) -> bool {
    s.bytes().any(|b| has_any_byte(b, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn splits_on_ascii_bytes_only() {
        let parts: Vec<&str> = split("a;é;;b", b';').collect();
        assert_eq!(parts, ["a", "é", "", "b"]);
        assert_eq!(split_once("k=v=w", b'='), Some(("k", "v=w")));
        assert_eq!(split_once("kv", b'='), None);
        assert_eq!(cat(&["a", "", "bc"]), "abc");
        assert!(has_any("a?b", b"#?") && !has_any("ab", b"#?"));
    }
}

/// Does `hay` contain `needle`? (A plain scan: core's two-way searcher is >1 KB of wasm.)
pub fn contains(hay: &str, needle: &str) -> bool {
    needle.is_empty()
        || hay
            .as_bytes()
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
}

#[cfg(test)]
mod contains_tests {
    #[test]
    fn finds_substrings() {
        assert!(super::contains("Customer x already has a lead", "already"));
        assert!(!super::contains("nope", "already"));
        assert!(!super::contains("", "a"));
    }
}
