//! Browser glue tests, run by wasm-bindgen-test in headless Chromium:
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown --features std --test web`.
//! They exercise what needs a real page: `document.cookie`, the script tag, the queue, the
//! result objects, the outbox in `localStorage`, and a request that fails.
use affitor_tracker::browser::{self, page, storage};
use affitor_tracker::click::jar;
use affitor_tracker::lead::entry;
use affitor_tracker::{get_click_id, get_data, queue, signup, start};
use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn set_cookie(line: &str) {
    let doc = page::global("document");
    Reflect::set(&doc, &"cookie".into(), &line.into()).unwrap();
}

fn clear_cookies() {
    for name in [
        jar::CLICK_ID,
        jar::CLICK_IDS,
        jar::AFF_URL,
        jar::LEGACY_CLICK_ID,
    ] {
        set_cookie(&[name, "=; path=/; max-age=0"].concat());
    }
}

fn field(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap()
}

/// Starts the tracker once for the whole test page, as the loader would, from a script tag:
/// program 42, an API that refuses every connection (port 9 on loopback: nothing leaves the
/// machine), and a short signup timeout.
fn started() {
    let doc: web_sys::Document = page::global("document").unchecked_into();
    let tag = doc.create_element("script").unwrap();
    for (k, v) in [
        ("data-affitor-program-id", "42"),
        ("data-affitor-api-base", "http://127.0.0.1:9"),
        ("data-affitor-timeout", "300"),
    ] {
        tag.set_attribute(k, v).unwrap();
    }
    start(tag.into(), JsValue::UNDEFINED, JsValue::UNDEFINED);
}

#[wasm_bindgen_test]
fn reads_awkward_cookie_values_intact() {
    clear_cookies();
    let value = "a;b=c%d é😀";
    set_cookie(&[jar::CLICK_ID, "=", &page::encode(value), "; path=/"].concat());
    assert_eq!(get_click_id(), JsValue::from_str(value));
    clear_cookies();
}

#[wasm_bindgen_test]
fn malformed_percent_encoding_is_read_as_written() {
    clear_cookies();
    set_cookie("affitor_click_id=100%zz; path=/");
    assert_eq!(get_click_id(), JsValue::from_str("100%zz"));
    assert_eq!(page::decode("%C3"), "%C3");
    assert_eq!(page::decode("a%7Cb"), "a|b");
    clear_cookies();
}

#[wasm_bindgen_test]
fn click_id_is_null_without_cookies_and_falls_back_to_the_legacy_one() {
    clear_cookies();
    assert!(get_click_id().is_null());
    set_cookie("customer_code=legacy_1; path=/");
    assert_eq!(get_click_id(), JsValue::from_str("legacy_1"));
    set_cookie("affitor_click_id=new_2; path=/");
    assert_eq!(get_click_id(), JsValue::from_str("new_2"));
    clear_cookies();
}

#[wasm_bindgen_test]
fn get_data_reflects_cookies_and_config() {
    clear_cookies();
    started();
    let data = get_data();
    assert_eq!(field(&data, "hasAttribution"), JsValue::FALSE);
    assert!(field(&data, "clickId").is_null());
    assert!(field(&data, "affiliateUrl").is_null());
    assert_eq!(field(&data, "programId"), JsValue::from_str("42"));
    set_cookie("affitor_click_id=cust_42_1; path=/");
    set_cookie("affitor_aff_url=https%3A%2F%2Fs.example%2F%3Faff%3DP; path=/");
    let data = get_data();
    assert_eq!(field(&data, "hasAttribution"), JsValue::TRUE);
    assert_eq!(field(&data, "clickId"), JsValue::from_str("cust_42_1"));
    assert_eq!(
        field(&data, "affiliateUrl"),
        JsValue::from_str("https://s.example/?aff=P")
    );
    clear_cookies();
}

/// `signup` as the loader calls it: with the function that resolves the page's Promise.
fn signup_promise(key: JsValue) -> Promise {
    Promise::new(&mut |resolve, _| signup(key.clone(), JsValue::UNDEFINED, resolve.into()))
}

#[wasm_bindgen_test]
async fn bad_arguments_resolve_to_a_failure_result() {
    clear_cookies();
    started();
    let cases: [JsValue; 5] = [
        JsValue::UNDEFINED,
        JsValue::NULL,
        js_sys::Object::new().into(),
        JsValue::from_f64(f64::NAN),
        JsValue::from_str("\u{3000}\u{feff}"),
    ];
    for key in cases {
        let result = JsFuture::from(signup_promise(key)).await.unwrap();
        assert_eq!(field(&result, "ok"), JsValue::FALSE);
        assert!(field(&result, "error").is_string());
    }
}

#[wasm_bindgen_test]
async fn an_unreachable_api_keeps_the_lead_and_says_queued() {
    started();
    let result = JsFuture::from(signup_promise("unreachable_user".into()))
        .await
        .unwrap();
    assert_eq!(field(&result, "ok"), JsValue::TRUE);
    assert_eq!(field(&result, "queued"), JsValue::TRUE);
    // The lead waits in the outbox for a later attempt.
    let stored = storage::read(entry::KEY)
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    assert!(stored.contains("unreachable_user"), "{stored}");
}

#[wasm_bindgen_test]
fn the_queue_is_drained_and_junk_is_skipped() {
    started();
    let queue = Array::new();
    queue.push(&"junk".into());
    queue.push(&Array::of1(&"nope".into()));
    queue.push(&JsValue::NULL);
    queue::drain(&queue);
    assert_eq!(queue.length(), 0);
    // A queue that is not an array, or a frozen one, is left alone without a throw.
    queue::drain(&JsValue::from_str("not a queue"));
    let frozen = Array::of1(&"junk".into());
    js_sys::Object::freeze(&frozen);
    queue::drain(&frozen);
}

/// The ids of the stored outbox's entries, as the tracker reads it now.
fn ids() -> Vec<String> {
    let mut entries = entry::stored();
    entry::trim(&mut entries, browser::now());
    entries.iter().map(|e| e.id.clone()).collect()
}

/// An outbox entry as stored, created at `created` (ms since the epoch).
fn entry(id: &str, created: u64) -> String {
    format!(
        r#"{{"id":"{id}","fp":"f{id}","created":{created},"attempts":0,"owner":"s_a","lease":5000,"waiting":true,"click":null,"ids":"[]","rest":"\"customer_key\":\"k\"}}"}}"#
    )
}

#[wasm_bindgen_test]
fn the_outbox_drops_what_is_not_an_entry() {
    let now = browser::now() as u64;
    for junk in [
        "",
        "[]",
        "{}",
        "null",
        "not json",
        "[5,null,\"x\"]",
        r#"{"length":1e9}"#,
    ] {
        storage::write(entry::KEY, junk);
        assert!(ids().is_empty(), "{junk}");
    }
    let good = entry("s_a.1", now);
    let old = entry("s_a.2", now - entry::MAX_AGE_MS as u64);
    let no_rest = good.replace(r#","rest":"\"customer_key\":\"k\"}""#, "");
    let injected = entry("s_a.3", now).replace(r#""ids":"[]""#, r#""ids":"1,\"x\":2""#);
    storage::write(
        entry::KEY,
        &format!("[{good},7,{old},{no_rest},{injected}]"),
    );
    assert_eq!(ids(), ["s_a.1"]);
    storage::write(entry::KEY, "");
}
