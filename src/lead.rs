//! The signup (lead) event: checking `signup()`'s arguments and writing the request body of
//! CONTRACT.md §4.

use crate::json::Obj;
use crate::text;
use alloc::string::String;

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
    /// A string longer than the field allows (not copied into wasm memory).
    TooLong,
    /// Anything else, named by its kind (`object`, `symbol`, `NaN`…).
    Other(&'static str),
}

/// The customer key to send, or the message explaining why there is none.
pub fn customer_key(arg: Arg) -> Result<String, &'static str> {
    match arg {
        Arg::Text(s) if !s.trim_ascii().is_empty() => Ok(String::from(s.trim_ascii())),
        Arg::Number(n) => Ok(n),
        Arg::TooLong => Err("signup(customerKey) is longer than 256 characters; no lead was sent"),
        _ => Err(
            "signup(customerKey) needs the new user's id as a non-empty string (or a finite number); no lead was sent",
        ),
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
        Arg::Text(s) if s.trim_ascii().is_empty() => Email::Absent,
        Arg::Text(s) if plausible_email(s.trim_ascii()) => {
            Email::Valid(String::from(s.trim_ascii()))
        }
        Arg::Text(_) | Arg::TooLong => Email::Dropped(
            "signup(): the email is not a valid address, sending the lead without it",
        ),
        _ => Email::Dropped("signup(): the email must be a string, sending the lead without it"),
    }
}

/// One `@` between a non-empty local part and a dotted domain; no spaces, control characters
/// or the punctuation that marks a display name or a list (`<>,;"()[]\`).
pub fn plausible_email(s: &str) -> bool {
    let Some((local, domain)) = text::split_once(s, b'@') else {
        return false;
    };
    !local.is_empty()
        && !s
            .bytes()
            .any(|b| b <= b' ' || b == 0x7f || b"<>,;\"()[]\\".contains(&b))
        && !domain.as_bytes().contains(&b'@')
        && domain.as_bytes().contains(&b'.')
        && text::split(domain, b'.').all(|label| !label.is_empty())
}

/// Everything a lead request says (CONTRACT.md §4).
pub struct Lead<'a> {
    pub click_id: Option<&'a str>,
    pub customer_key: &'a str,
    pub email: Option<&'a str>,
    pub click_ids: &'a [String],
    pub program_id: Option<&'a str>,
    pub page_url: &'a str,
    pub session_id: &'a str,
    pub test_mode: bool,
}

impl Lead<'_> {
    pub fn body(&self) -> String {
        Obj::new()
            .opt_str("click_id", self.click_id)
            .str("customer_key", self.customer_key)
            .opt_str("email", self.email)
            .strs("click_ids", self.click_ids)
            .raw("program_id", self.program_id.unwrap_or("null"))
            .str("page_url", self.page_url)
            .str("session_id", self.session_id)
            .raw(
                "additional_data",
                &additional_data(self.test_mode, self.program_id),
            )
            .end()
    }
}

/// `{}`, or in test mode the markers the API looks for.
pub fn additional_data(test_mode: bool, program_id: Option<&str>) -> String {
    if test_mode {
        Obj::new()
            .raw("test_mode", "true")
            .raw("program_id", program_id.unwrap_or("null"))
            .end()
    } else {
        String::from("{}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn customer_key_is_a_non_empty_string_or_number() {
        assert_eq!(
            customer_key(Arg::Text(" user_1 ".into())),
            Ok("user_1".into())
        );
        assert_eq!(customer_key(Arg::Number("123".into())), Ok("123".into()));
        for bad in [
            Arg::Missing,
            Arg::Text("   ".into()),
            Arg::Other("object"),
            Arg::Other("symbol"),
            Arg::TooLong,
        ] {
            assert!(customer_key(bad).is_err());
        }
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
        assert!(matches!(email(Arg::Other("object")), Email::Dropped(_)));
        assert!(matches!(email(Arg::Number("5".into())), Email::Dropped(_)));
        assert!(matches!(email(Arg::TooLong), Email::Dropped(_)));
    }

    #[test]
    fn lead_body_has_every_contract_field() {
        let ids = vec![String::from("c1"), String::from("c2")];
        let lead = Lead {
            click_id: Some("c2"),
            customer_key: "user_123",
            email: Some("user@example.com"),
            click_ids: &ids,
            program_id: Some("42"),
            page_url: "https://site.example/signup?x=\"1\"",
            session_id: "s1",
            test_mode: false,
        };
        assert_eq!(
            lead.body(),
            r#"{"click_id":"c2","customer_key":"user_123","email":"user@example.com","click_ids":["c1","c2"],"program_id":42,"page_url":"https://site.example/signup?x=\"1\"","session_id":"s1","additional_data":{}}"#
        );
    }

    #[test]
    fn test_mode_and_missing_values() {
        let lead = Lead {
            click_id: None,
            customer_key: "k",
            email: None,
            click_ids: &[],
            program_id: None,
            page_url: "u",
            session_id: "s",
            test_mode: true,
        };
        assert_eq!(
            lead.body(),
            r#"{"click_id":null,"customer_key":"k","email":null,"click_ids":[],"program_id":null,"page_url":"u","session_id":"s","additional_data":{"test_mode":true,"program_id":null}}"#
        );
        assert_eq!(
            additional_data(true, Some("42")),
            r#"{"test_mode":true,"program_id":42}"#
        );
    }
}
