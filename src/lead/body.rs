//! The lead request body of docs/contract.md §4, and reading it back from the outbox.

use crate::json::Obj;
use crate::wire::additional_data;
use alloc::string::String;
use alloc::vec::Vec;

/// Everything a lead request says.
#[derive(Debug, PartialEq)]
pub struct Lead {
    pub click_id: Option<String>,
    /// `None` only when a click id carries the lead (docs/contract.md §2).
    pub customer_key: Option<String>,
    pub email: Option<String>,
    pub click_ids: Vec<String>,
    /// Canonical decimal digits, written as a JSON number.
    pub program_id: Option<String>,
    pub page_url: String,
    pub session_id: String,
    pub test_mode: bool,
    pub debug: bool,
}

impl Lead {
    pub fn body(&self) -> String {
        compose(
            self.click_id.as_deref(),
            &ids(&self.click_ids),
            &self.rest(),
        )
    }

    /// The body without its click fields, which a lead made before its click was known takes
    /// from the browser when it is sent (see `outbox::Entry`).
    pub fn rest(&self) -> String {
        let o = Obj::new()
            .opt_str("customer_key", self.customer_key.as_deref())
            .opt_str("email", self.email.as_deref())
            .raw("program_id", self.program_id.as_deref().unwrap_or("null"))
            .str("page_url", &self.page_url)
            .str("session_id", &self.session_id)
            .bool("debug_mode", self.debug)
            .raw(
                "additional_data",
                &additional_data(self.test_mode, self.program_id.as_deref()),
            )
            .end();
        String::from(&o[1..])
    }
}

/// The click-id history as a JSON array.
pub fn ids(click_ids: &[String]) -> String {
    let o = Obj::new().strs("", click_ids).end();
    // `{"":[…]}` → `[…]`
    String::from(&o[4..o.len() - 1])
}

/// The whole body: the click fields, then `rest` (an object's members and its closing brace).
pub fn compose(click_id: Option<&str>, ids: &str, rest: &str) -> String {
    let head = Obj::new()
        .opt_str("click_id", click_id)
        .raw("click_ids", ids)
        .bool("has_attribution", click_id.is_some())
        .end();
    crate::text::cat(&[&head[..head.len() - 1], ",", rest])
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn lead() -> Lead {
        Lead {
            click_id: Some("c2".into()),
            customer_key: Some("user_123".into()),
            email: Some("user@example.com".into()),
            click_ids: vec!["c1".into(), "c2".into()],
            program_id: Some("42".into()),
            page_url: "https://site.example/signup?x=\"1\"".into(),
            session_id: "s1".into(),
            test_mode: false,
            debug: false,
        }
    }

    #[test]
    fn lead_body_has_every_contract_field() {
        assert_eq!(
            lead().body(),
            r#"{"click_id":"c2","click_ids":["c1","c2"],"has_attribution":true,"customer_key":"user_123","email":"user@example.com","program_id":42,"page_url":"https://site.example/signup?x=\"1\"","session_id":"s1","debug_mode":false,"additional_data":{}}"#
        );
    }

    #[test]
    fn test_mode_keyless_and_missing_values() {
        let l = Lead {
            click_id: None,
            customer_key: None,
            email: None,
            click_ids: vec![],
            program_id: None,
            page_url: "u".into(),
            session_id: "s".into(),
            test_mode: true,
            debug: true,
        };
        assert_eq!(
            l.body(),
            r#"{"click_id":null,"click_ids":[],"has_attribution":false,"customer_key":null,"email":null,"program_id":null,"page_url":"u","session_id":"s","debug_mode":true,"additional_data":{"test_mode":true,"program_id":null}}"#
        );
        assert_eq!(
            additional_data(true, Some("42")),
            r#"{"test_mode":true,"program_id":42}"#
        );
    }

    #[test]
    fn the_body_is_its_click_fields_and_the_rest() {
        let l = lead();
        assert_eq!(
            compose(Some("c9"), &ids(&["c9".into()]), &l.rest()),
            l.body().replace(
                r#""c2","click_ids":["c1","c2"]"#,
                r#""c9","click_ids":["c9"]"#
            )
        );
        assert_eq!(ids(&[]), "[]");
    }
}
