//! The tracker's side of the loader's lazy start: every case of `tests/cases/work.json` against
//! the click rule the loader's `capturable` (loader/work.js) stands for. `tests/work.test.mjs`
//! runs the same table against the loader, so a change of either rule shows there.
//!
//!   cargo test --test work_cases
#![cfg(not(target_arch = "wasm32"))]

use affitor_tracker::click::rules;
use serde_json::Value;

#[test]
fn each_landing_address_has_a_click_as_the_table_says() {
    let table: Value =
        serde_json::from_str(include_str!("cases/work.json")).expect("tests/cases/work.json");
    let failed: Vec<String> = table["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| rules::aff_param(c["url"].as_str().unwrap()).is_some() != c["aff"])
        .map(|c| c["name"].to_string())
        .collect();
    assert!(failed.is_empty(), "tests/cases/work.json: {failed:?}");
}
