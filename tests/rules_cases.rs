//! The tracker's side of the rules it shares with `affitor-tracker/server`: every case of
//! `tests/cases/rules.json` against the Rust rule it names. `tests/rules-cases.test.mjs` runs
//! the same table against `module/server/rules.js`, so the two cannot drift.
//!
//!   cargo test --test rules_cases
#![cfg(not(target_arch = "wasm32"))]

use affitor_tracker::click::{jar, rules};
use affitor_tracker::lead::args::{self, Arg, Email};
use affitor_tracker::retry::{self, Verdict};
use serde_json::Value;

const TABLE: &str = include_str!("cases/rules.json");

/// The cases of one rule, each passed to `check`, which returns what the rule gave when it
/// differs from what the case expects. Every failure is listed with its case's name.
fn each(rule: &str, check: impl Fn(&Value) -> Option<String>) {
    let table: Value = serde_json::from_str(TABLE).expect("tests/cases/rules.json is JSON");
    let cases = table[rule]["cases"]
        .as_array()
        .unwrap_or_else(|| panic!("no cases for {rule}"));
    assert!(!cases.is_empty(), "no cases for {rule}");
    let failed: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let got = check(case)?;
            Some(format!("{rule}: {}: got {got}", case["name"]))
        })
        .collect();
    assert!(failed.is_empty(), "\n{}", failed.join("\n"));
}

fn text(v: &Value) -> &str {
    v.as_str().expect("a string")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|s| text(s).to_string())
        .collect()
}

fn number(v: &Value) -> u64 {
    v.as_u64().expect("a whole number")
}

#[test]
fn history_read() {
    each("history_read", |case| {
        let got = jar::history(text(&case["cookie"]));
        (got != strings(&case["ids"])).then(|| format!("{got:?}"))
    });
}

#[test]
fn history_push() {
    each("history_push", |case| {
        let got = rules::push_history(&strings(&case["history"]), text(&case["id"]));
        (got != text(&case["cookie"])).then_some(got)
    });
}

/// A JSON value as the `Arg` the page's JavaScript value would be (`args::classify`, which
/// needs a JsValue): absent or null → missing, a string over `EMAIL_MAX` UTF-16 units →
/// refused, a number → its decimal text, anything else → other.
fn email_arg(input: Option<&Value>) -> Arg {
    match input {
        None | Some(Value::Null) => Arg::Missing,
        Some(Value::String(s)) if s.encode_utf16().count() > args::EMAIL_MAX as usize => {
            Arg::Refused(affitor_tracker::browser::js::Refused::TooLong)
        }
        Some(Value::String(s)) => Arg::Text(s.clone()),
        Some(Value::Number(n)) => Arg::Number(n.to_string()),
        Some(_) => Arg::Other,
    }
}

#[test]
fn email() {
    each("email", |case| {
        let (email, dropped) = match args::email(email_arg(case.get("input"))) {
            Email::Absent => (Value::Null, false),
            Email::Valid(s) => (Value::String(s), false),
            Email::Dropped(_) => (Value::Null, true),
        };
        (email != case["email"] || dropped != case["dropped"])
            .then(|| format!("email {email}, dropped {dropped}"))
    });
}

#[test]
fn retry_verdict() {
    each("retry_verdict", |case| {
        let want = match text(&case["verdict"]) {
            "delivered" => Verdict::Delivered,
            "refused" => Verdict::Refused,
            "retry" => Verdict::Retry,
            other => panic!("no verdict {other}"),
        };
        let wrong: Vec<String> = case["statuses"]
            .as_array()
            .expect("statuses")
            .iter()
            .map(|s| number(s) as u16)
            .filter(|s| retry::verdict(*s) != want)
            .map(|s| format!("{s}: {:?}", retry::verdict(s)))
            .collect();
        (!wrong.is_empty()).then(|| wrong.join(", "))
    });
}

#[test]
fn retry_backoff() {
    each("retry_backoff", |case| {
        let got = retry::delay(
            number(&case["attempt"]) as u32,
            case["random"].as_f64().expect("random"),
            number(&case["base"]) as u32,
        );
        (u64::from(got) != number(&case["wait"])).then(|| got.to_string())
    });
}

#[test]
fn retry_after() {
    each("retry_after", |case| {
        let got = retry::retry_after_seconds(text(&case["header"]));
        (got.map(u64::from) != case["ms"].as_u64()).then(|| format!("{got:?}"))
    });
}

#[test]
fn already_recorded() {
    each("already_recorded", |case| {
        let got = retry::already_recorded(text(&case["error"]));
        (Some(got) != case["recorded"].as_bool()).then(|| got.to_string())
    });
}
