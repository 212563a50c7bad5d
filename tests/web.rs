//! Browser glue tests, run by wasm-bindgen-test in headless Chromium:
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown --features std --test web`.
//! They exercise what needs a real page: `document.cookie`, the script tag, the queue, the
//! result objects, the outbox in `localStorage`, and a request that fails.
use affitor_tracker::outbox::{self, Outbox};
use affitor_tracker::{api, arg, cookie, page, store};
use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::HtmlDocument;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> HtmlDocument {
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .dyn_into()
        .unwrap()
}

fn set_cookie(line: &str) {
    document().set_cookie(line).unwrap();
}

fn clear_cookies() {
    for name in [
        cookie::CLICK_ID,
        cookie::CLICK_IDS,
        cookie::AFF_URL,
        cookie::LEGACY_CLICK_ID,
    ] {
        set_cookie(&[name, "=; path=/; max-age=0"].concat());
    }
}

fn field(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap()
}

/// Starts the tracker as the loader would, from a script tag with these attributes.
fn start_with(attrs: &[(&str, &str)]) {
    let tag = document().create_element("script").unwrap();
    for (k, v) in attrs {
        tag.set_attribute(k, v).unwrap();
    }
    api::start(tag.into(), JsValue::UNDEFINED, wake());
}

/// The module's `wake` export as the loader hands it over: a JavaScript function.
fn wake() -> js_sys::Function {
    wasm_bindgen::closure::Closure::<dyn Fn(u32, u32, JsValue) -> JsValue>::new(api::wake)
        .into_js_value()
        .unchecked_into()
}

#[wasm_bindgen_test]
fn reads_awkward_cookie_values_intact() {
    clear_cookies();
    let value = "a;b=c%d é😀";
    set_cookie(&[cookie::CLICK_ID, "=", &page::encode(value), "; path=/"].concat());
    assert_eq!(
        page::cookie(&page::cookies(), cookie::CLICK_ID).as_deref(),
        Some(value)
    );
    assert_eq!(api::get_click_id(), JsValue::from_str(value));
    clear_cookies();
}

#[wasm_bindgen_test]
fn malformed_percent_encoding_is_read_as_written() {
    clear_cookies();
    set_cookie("affitor_click_id=100%zz; path=/");
    assert_eq!(api::get_click_id(), JsValue::from_str("100%zz"));
    assert_eq!(page::decode("%C3"), "%C3");
    assert_eq!(page::decode("a%7Cb"), "a|b");
    clear_cookies();
}

#[wasm_bindgen_test]
fn click_id_is_null_without_cookies_and_falls_back_to_the_legacy_one() {
    clear_cookies();
    assert!(api::get_click_id().is_null());
    set_cookie("customer_code=legacy_1; path=/");
    assert_eq!(api::get_click_id(), JsValue::from_str("legacy_1"));
    set_cookie("affitor_click_id=new_2; path=/");
    assert_eq!(api::get_click_id(), JsValue::from_str("new_2"));
    clear_cookies();
}

#[wasm_bindgen_test]
fn get_data_reflects_cookies_and_config() {
    clear_cookies();
    start_with(&[("data-affitor-program-id", "42")]);
    let data = api::get_data();
    assert_eq!(field(&data, "hasAttribution"), JsValue::FALSE);
    assert!(field(&data, "clickId").is_null());
    assert!(field(&data, "affiliateUrl").is_null());
    assert_eq!(field(&data, "programId"), JsValue::from_str("42"));
    set_cookie("affitor_click_id=cust_42_1; path=/");
    set_cookie("affitor_aff_url=https%3A%2F%2Fs.example%2F%3Faff%3DP; path=/");
    let data = api::get_data();
    assert_eq!(field(&data, "hasAttribution"), JsValue::TRUE);
    assert_eq!(field(&data, "clickId"), JsValue::from_str("cust_42_1"));
    assert_eq!(
        field(&data, "affiliateUrl"),
        JsValue::from_str("https://s.example/?aff=P")
    );
    clear_cookies();
}

/// `signup` as the loader calls it: with the function that resolves the page's Promise.
fn signup(key: JsValue) -> Promise {
    Promise::new(&mut |resolve, _| api::signup(key.clone(), JsValue::UNDEFINED, Some(resolve)))
}

#[wasm_bindgen_test]
async fn bad_arguments_resolve_to_a_failure_result() {
    start_with(&[("data-affitor-program-id", "42")]);
    let cases: [JsValue; 5] = [
        JsValue::UNDEFINED,
        JsValue::NULL,
        js_sys::Object::new().into(),
        JsValue::from_f64(f64::NAN),
        JsValue::from_str(""),
    ];
    for key in cases {
        let result = JsFuture::from(signup(key)).await.unwrap();
        assert_eq!(field(&result, "ok"), JsValue::FALSE);
        assert!(field(&result, "error").is_string());
    }
}

#[wasm_bindgen_test]
async fn an_unreachable_api_keeps_the_lead_and_says_queued() {
    // Port 9 (discard) on loopback: refused at once, nothing leaves the machine.
    start_with(&[
        ("data-affitor-program-id", "42"),
        ("data-affitor-api-base", "http://127.0.0.1:9"),
        ("data-affitor-timeout", "300"),
    ]);
    let result = JsFuture::from(signup("unreachable_user".into()))
        .await
        .unwrap();
    assert_eq!(field(&result, "ok"), JsValue::TRUE);
    assert_eq!(field(&result, "queued"), JsValue::TRUE);
    // The lead waits in the outbox for a later attempt.
    let outbox = store::read(outbox::KEY).as_string().unwrap_or_default();
    assert!(outbox.contains("unreachable_user"), "{outbox}");
}

#[wasm_bindgen_test]
fn the_queue_is_drained_and_junk_is_skipped() {
    start_with(&[("data-affitor-program-id", "42")]);
    let queue = Array::new();
    queue.push(&"junk".into());
    queue.push(&Array::of1(&"nope".into()));
    queue.push(&JsValue::NULL);
    api::start(JsValue::NULL, queue.clone().into(), wake());
    assert_eq!(queue.length(), 0);
    // A queue that is not an array is left alone.
    api::start(JsValue::NULL, JsValue::from_str("not a queue"), wake());
}

fn store_outbox(json: &str) {
    store::write(outbox::KEY, &JsValue::from_str(json));
}

/// An outbox entry as JSON, created at `created` (ms since the epoch).
fn entry(id: &str, created: f64) -> String {
    let created = arg::js_string(&created.into());
    [
        r#"{"id":""#,
        id,
        r#"","key":"k","created":"#,
        &created,
        r#","attempts":0,"owner":"s_a","lease":5000,"waiting":0,"url":"https://a.example/api/v1/track/lead","body":"{}"}"#,
    ]
    .concat()
}

#[wasm_bindgen_test]
fn the_outbox_drops_what_is_not_an_entry() {
    let now = page::now();
    for junk in [
        "",
        "[]",
        "{}",
        "null",
        "not json",
        "affitor-outbox-1\nx",
        "[5,null,\"x\"]",
    ] {
        store_outbox(junk);
        assert_eq!(Outbox::load(now).len(), 0, "{junk}");
    }
    let good = entry("s_a.1", now);
    let old = entry("s_a.2", now - outbox::MAX_AGE_MS);
    let no_body = good.replace(r#","body":"{}""#, "");
    store_outbox(&["[", &good, ",7,", &old, ",", &no_body, "]"].concat());
    let outbox = Outbox::load(now);
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox.entry(0).get("id"), JsValue::from_str("s_a.1"));
    store_outbox("");
}

#[wasm_bindgen_test]
fn the_outbox_keeps_the_newest_entries_and_leases_decide_who_sends() {
    let now = page::now();
    let entries: Vec<String> = (0..25)
        .map(|i| entry(&arg::js_string(&i.into()), now - 1000.0 + i as f64))
        .collect();
    store_outbox(&["[", &entries.join(","), "]"].concat());
    Outbox::load(now).save();
    let outbox = Outbox::load(now);
    assert_eq!(outbox.len(), outbox::MAX_ENTRIES);
    assert_eq!(
        outbox.entry(0).get("id"),
        JsValue::from_str("5"),
        "the oldest go first"
    );
    let e = outbox.entry(0);
    let (a, b) = (JsValue::from_str("s_a"), JsValue::from_str("s_b"));
    assert!(e.claimable(&a, 0.0), "its owner may");
    assert!(!e.claimable(&b, 4999.0), "another page waits for the lease");
    assert!(e.claimable(&b, 5000.0), "an expired lease is free");
    store_outbox("");
}
