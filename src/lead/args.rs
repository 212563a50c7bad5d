//! `signup()`'s arguments: `signup(customerKey, email?)` or the object form
//! `signup({ customerKey | customer_key, email })` that Affitor's docs use. The rules are pure;
//! `read` only takes the values out of JavaScript, without calling into them (no `toString`).

use crate::browser::js::{self, Refused};
use alloc::string::String;
use wasm_bindgen::JsValue;

/// Longest customer key accepted, in UTF-16 units (a JavaScript string's `length`).
pub const KEY_MAX: u32 = 256;
/// Longest email address (RFC 5321's path limit).
pub const EMAIL_MAX: u32 = 254;

/// A JavaScript argument, as far as the checks below need to know it.
#[derive(Debug, PartialEq)]
pub enum Arg {
    Missing,
    Text(String),
    /// A finite number, already written in decimal by JavaScript's `String(n)`.
    Number(String),
    /// A string the tracker would not take as it is.
    Refused(Refused),
    /// Anything else (an object, a symbol, NaN…).
    Other,
}

/// Why a signup has no usable customer key.
#[derive(Debug, PartialEq, Clone, Copy)]
pub enum KeyProblem {
    Missing,
    TooLong,
    LoneSurrogate,
}

impl KeyProblem {
    pub fn message(self) -> &'static str {
        match self {
            KeyProblem::Missing => {
                "signup(customerKey) needs the new user's id: a non-empty string or a finite number"
            }
            KeyProblem::TooLong => "signup(customerKey) is longer than 256 characters",
            KeyProblem::LoneSurrogate => {
                "signup(customerKey) has an unpaired UTF-16 surrogate, which cannot be sent"
            }
        }
    }
}

/// Trims Unicode white space (`char::is_whitespace`, the White_Space property, listed here: core's
/// lookup table is larger), and the byte-order mark, which `char::is_whitespace` leaves.
pub fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| {
        matches!(
            c,
            '\t'..='\r'
                | ' '
                | '\u{85}'
                | '\u{a0}'
                | '\u{1680}'
                | '\u{2000}'..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
        )
    })
}

/// The customer key to send, or why there is none.
pub fn customer_key(arg: Arg) -> Result<String, KeyProblem> {
    match arg {
        Arg::Text(s) if !trim(&s).is_empty() => Ok(String::from(trim(&s))),
        Arg::Number(n) => Ok(n),
        Arg::Refused(Refused::TooLong) => Err(KeyProblem::TooLong),
        Arg::Refused(Refused::LoneSurrogate) => Err(KeyProblem::LoneSurrogate),
        _ => Err(KeyProblem::Missing),
    }
}

#[derive(Debug, PartialEq)]
pub enum Email {
    Absent,
    Valid(String),
    /// Not plausibly an address: dropped with this warning, and the lead still goes out.
    Dropped(&'static str),
}

pub fn email(arg: Arg) -> Email {
    match arg {
        Arg::Missing => Email::Absent,
        Arg::Text(s) if trim(&s).is_empty() => Email::Absent,
        Arg::Text(s) if plausible_email(trim(&s)) => Email::Valid(String::from(trim(&s))),
        Arg::Text(_) | Arg::Refused(_) => Email::Dropped(
            "signup(): the email is not a valid address, sending the lead without it",
        ),
        _ => Email::Dropped("signup(): the email must be a string, sending the lead without it"),
    }
}

/// One `@` between a non-empty local part and a dotted domain; no spaces, control characters
/// or the punctuation that marks a display name or a list (`<>,;"()[]\`).
pub fn plausible_email(s: &str) -> bool {
    let Some((local, domain)) = crate::text::split_once(s, b'@') else {
        return false;
    };
    !local.is_empty()
        && !s
            .bytes()
            .any(|b| b <= b' ' || b == 0x7f || crate::text::has_any_byte(b, b"<>,;\"()[]\\"))
        && !crate::text::has(domain, b'@')
        && crate::text::has(domain, b'.')
        && crate::text::split(domain, b'.').all(|label| !label.is_empty())
}

/// A JavaScript value as an [`Arg`]; a string longer than `max` is not copied.
pub fn classify(v: &JsValue, max: u32) -> Arg {
    if v.is_undefined() || v.is_null() {
        return Arg::Missing;
    }
    match js::text(v, max) {
        Some(Ok(s)) => Arg::Text(s),
        Some(Err(why)) => Arg::Refused(why),
        None => js::decimal(v).map_or(Arg::Other, Arg::Number),
    }
}

/// `signup()`'s two arguments, with the object form unfolded.
pub fn read(first: &JsValue, second: &JsValue) -> (Arg, Arg) {
    let object_form = first.is_object() && !js::is_array(first);
    if !object_form {
        return (classify(first, KEY_MAX), classify(second, EMAIL_MAX));
    }
    let mut key = js::get(first, "customerKey");
    if key.is_undefined() {
        key = js::get(first, "customer_key");
    }
    let mut email = js::get(first, "email");
    if email.is_undefined() {
        email = second.clone();
    }
    (classify(&key, KEY_MAX), classify(&email, EMAIL_MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_what_is_whitespace_trims_and_the_bom() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let s = alloc::format!("{c}x{c}");
            let want = if c.is_whitespace() || c == '\u{feff}' {
                "x"
            } else {
                &s[..]
            };
            assert_eq!(trim(&s), want, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn customer_key_is_a_non_empty_trimmed_string_or_number() {
        assert_eq!(
            customer_key(Arg::Text(" user_1 ".into())),
            Ok("user_1".into())
        );
        assert_eq!(customer_key(Arg::Number("123".into())), Ok("123".into()));
        for blank in ["   ", "\u{a0}", "\u{feff}", "\u{2028}", "\u{3000}\u{a0} "] {
            assert_eq!(
                customer_key(Arg::Text(blank.into())),
                Err(KeyProblem::Missing),
                "{blank:?}"
            );
        }
        assert_eq!(
            customer_key(Arg::Text("\u{3000}k\u{feff}".into())),
            Ok("k".into())
        );
        assert_eq!(customer_key(Arg::Missing), Err(KeyProblem::Missing));
        assert_eq!(customer_key(Arg::Other), Err(KeyProblem::Missing));
        assert_eq!(
            customer_key(Arg::Refused(Refused::TooLong)),
            Err(KeyProblem::TooLong)
        );
        assert_eq!(
            customer_key(Arg::Refused(Refused::LoneSurrogate)),
            Err(KeyProblem::LoneSurrogate)
        );
    }

    #[test]
    fn an_implausible_email_is_dropped_not_fatal() {
        assert_eq!(email(Arg::Missing), Email::Absent);
        assert_eq!(email(Arg::Text("".into())), Email::Absent);
        assert_eq!(
            email(Arg::Text(" a@b.co ".into())),
            Email::Valid("a@b.co".into())
        );
        for bad in [
            "nope", "a@b", "@b.co", "a@@b.co", "a b@c.co", "a@b..co", "<a@b.co>",
        ] {
            assert!(
                matches!(email(Arg::Text(bad.into())), Email::Dropped(_)),
                "{bad}"
            );
        }
        assert!(matches!(email(Arg::Other), Email::Dropped(_)));
        assert!(matches!(email(Arg::Number("5".into())), Email::Dropped(_)));
        assert!(matches!(
            email(Arg::Refused(Refused::TooLong)),
            Email::Dropped(_)
        ));
    }
}
