//! The Affitor browser tracker: captures affiliate clicks and sends signup (lead) events, as
//! `docs/contract.md` describes. The loader (`loader/`) installs `window.affitor` at once and
//! hands over to the functions exported here; everything the tracker decides is decided in
//! this crate.
//!
//! By feature: `lead` (signups: arguments, body, the outbox that owns delivery, dedupe,
//! delivery), `click` (click capture: rules, cookies, landings), `handoff` (the cross-domain
//! hand-off, in its own wasm: cargo feature `handoff`), `queue` (`window.affitorQueue`),
//! `config` (the tag's settings), `wire` (what clicks and leads share on the wire), `browser`
//! (the thin glue: page, storage, http, tasks, timers, locks, events, console). The rules are
//! pure functions, tested natively with `cargo test`; `docs/architecture.md` is the map.
#![no_std]

extern crate alloc;
#[cfg(any(test, feature = "std", not(target_arch = "wasm32")))]
extern crate std;

pub mod browser;
pub mod click;
pub mod config;
#[cfg(feature = "diagnose")]
pub mod diagnose;
pub mod forget;
// The cross-domain hand-off: only in the hand-off wasm (and the JavaScript fallback), which the
// loader fetches instead of the normal one where a page needs it (docs/cross-domain.md); its
// rules are tested natively with the rest.
#[cfg(any(test, feature = "handoff"))]
pub mod handoff;
pub mod id;
pub mod json;
pub mod lead;
pub mod outcome;
pub mod queue;
pub mod retry;
pub mod signal;
pub mod state;
pub mod text;
pub mod wire;

use browser::events::Listener;
use browser::task::spawn_local;
use browser::{console, js, page};
use config::{Problem, Timings};
use core::future::Future;
use js_sys::Function;
use outcome::Outcome;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Reads the script tag's settings, sends what earlier pages left unsent, captures the clicks of
/// the `landings` (the loader's records `[url, referrer, time]`, oldest first: those earlier page
/// views kept, this page's as recorded when the tag ran, the same-document navigations since),
/// and runs the calls queued before the tracker loaded. Runs once.
#[wasm_bindgen]
pub fn start(tag: JsValue, queue: JsValue, landings: JsValue) {
    if state::page().is_some() {
        return;
    }
    let (config, problems) = state::settings(&tag);
    console::set_debug(config.debug);
    for p in &problems {
        match p {
            Problem::MissingProgramId => console::error(&p.message()),
            _ => console::warn(&p.message()),
        }
    }
    let timings = page::global("AFFITOR_TEST_TIMINGS");
    let timings = Timings::read(|k| js::get(&timings, k).as_f64());
    let session_id = id::session_id(browser::now(), browser::random(), browser::random());
    console::debug("tracker started", &session_id.as_str().into());
    if !state::init(state::Page::new(config, timings, session_id)) {
        return;
    }
    let Some(page) = state::page() else {
        return;
    };
    follow_the_page(page);
    click::cookies::migrate_legacy();
    // Before the page's signups, which wait for their click ids. A loader without landings
    // (an older copy in a cache) leaves the page's address.
    let mut landings = js::items(&landings, 50);
    if landings.is_empty() {
        landings.push(js_sys::Array::of1(&page::href().into()).into());
    }
    // A click another of the business's sites handed over (docs/contract.md §8), before the clicks.
    #[cfg(feature = "handoff")]
    for l in &landings {
        handoff::adopt(&js::index(l, 0).as_string().unwrap_or_default());
    }
    click::landing::capture(landings);
    lead::replay_pending();
    queue::drain(&queue);
    // After the page's own calls: their leads take the outbox lock first, and leave sooner.
    spawn_local(lead::delivery::flush(page));
}

/// The page's life: leaving it (`pagehide`), coming back from the back/forward cache
/// (`pageshow` with `persisted`), and its Content-Security-Policy refusing the API.
fn follow_the_page(page: &'static state::Page) {
    let listeners = [
        Listener::new("pagehide", move |_| lead::delivery::release(page)),
        Listener::new("pageshow", move |e| {
            if js::get(&e, "persisted").as_bool() == Some(true) {
                lead::delivery::resume(page);
            }
        }),
        Listener::new("securitypolicyviolation", move |e| {
            let blocked = js::get(&e, "blockedURI").as_string().unwrap_or_default();
            if blocked.starts_with(&page.config.api_base) && !page.api_blocked.replace(true) {
                console::error(&text::cat(&[
                    "the page's Content-Security-Policy blocks ",
                    &page.config.api_base,
                    ": add it to connect-src (or use a first-party data-affitor-api-base); leads are kept until then",
                ]));
            }
        }),
    ];
    // Followed for the life of the page.
    core::mem::forget(listeners);
}

/// `affitor.signup(customerKey, email?)` or `signup({ customerKey, email })`: resolves the
/// loader's Promise with the result object, never rejects.
#[wasm_bindgen]
pub fn signup(key: JsValue, email: JsValue, resolve: JsValue) {
    answer(resolve, lead::signup(key, email, None));
}

/// `affitor.trackClick(url?, existingClickId?)`: reports the click in `url` (default: the
/// page's address), for single-page apps whose client-side navigation brought a new `?aff=`.
#[wasm_bindgen(js_name = trackClick)]
pub fn track_click(url: JsValue, existing: JsValue, resolve: JsValue) {
    let url = url.as_string().unwrap_or_else(page::href);
    answer(resolve, click::capture(url, existing.as_string()));
}

/// `affitor.forget()`: removes every cookie and storage key the tracker wrote and stops it on
/// this page (docs/contract.md §10). Takes the loader's two unused arguments, as every call does.
#[wasm_bindgen]
pub fn forget(_: JsValue, _: JsValue, resolve: JsValue) {
    settle(&resolve, forget::forget());
}

/// The cross-domain hand-off (docs/contract.md §8): the click id a link or form to `host` carries,
/// or `undefined`. Only the hand-off wasm has it (loader/handoff.js asks it).
#[cfg(feature = "handoff")]
#[wasm_bindgen]
pub fn outbound(host: JsValue) -> JsValue {
    host.as_string()
        .and_then(|h| handoff::outbound(&h))
        .map_or(JsValue::UNDEFINED, JsValue::from)
}

/// A same-document navigation (history, back/forward, Turbo Drive, the Navigation API): the
/// loader's record `[url, null, time]` of the new address, captured like a landing, once per
/// address.
#[wasm_bindgen]
pub fn navigated(landing: JsValue) {
    click::landing::capture(alloc::vec![landing]);
}

/// Runs one `affitorQueue` entry pushed after the tracker loaded.
#[wasm_bindgen]
pub fn run(entry: JsValue) {
    queue::run(&entry);
}

/// `affitor.getClickId()`: the stored click id, or `null`. Not an export: the loader reads
/// `getData().clickId`, the same value (an export costs a wasm wrapper and glue on every page).
pub fn get_click_id() -> JsValue {
    click::cookies::click_id().map_or(JsValue::NULL, JsValue::from)
}

/// `affitor.getData()`: `{ clickId, programId, hasAttribution, affiliateUrl }`.
#[wasm_bindgen(js_name = getData)]
pub fn get_data() -> JsValue {
    let click_id = click::cookies::click_id();
    let program_id = state::page()
        .and_then(|p| p.config.program_id.as_deref())
        .map(JsValue::from_str);
    let affiliate_url = click::cookies::get(&page::cookies(), click::jar::AFF_URL);
    let o = js_sys::Object::new();
    let opt = |v: Option<JsValue>| v.unwrap_or(JsValue::NULL);
    js::set(&o, "clickId", &opt(click_id.as_deref().map(JsValue::from)));
    js::set(&o, "programId", &opt(program_id));
    js::set(&o, "hasAttribution", &click_id.is_some().into());
    js::set(&o, "affiliateUrl", &opt(affiliate_url.map(JsValue::from)));
    o.into()
}

/// Runs `work` and hands its outcome to the loader's `resolve` (see [`browser::task::answer`]).
fn answer(resolve: JsValue, work: impl Future<Output = Outcome> + 'static) {
    browser::task::answer(alloc::boxed::Box::pin(work), resolve, |resolve, outcome| {
        // After forget(), nothing more is written or sent on this page.
        if let Some(outcome) = outcome.or_else(Outcome::stopped) {
            settle(resolve, outcome);
        }
    });
}

/// Hands `outcome` to the loader's `resolve` (nothing, where no one waits for it).
fn settle(resolve: &JsValue, outcome: Outcome) {
    if let Some(f) = resolve.dyn_ref::<Function>() {
        let _ = f.call1(&JsValue::UNDEFINED, &to_js(&outcome));
    }
}

/// The result object (docs/contract.md §2): `{ ok, status?, error?, … }`. Built property by
/// property, not through the page's `JSON.parse`, which a page may break.
fn to_js(outcome: &Outcome) -> JsValue {
    let o = js_sys::Object::new();
    let put = |k: &str, v: JsValue| {
        js::set(&o, k, &v);
    };
    let ok = !matches!(outcome, Outcome::Failed { .. });
    put("ok", ok.into());
    match outcome {
        Outcome::Accepted {
            status,
            message,
            provisional,
        } => {
            if let Some(s) = status {
                put("status", (*s).into());
            }
            if let Some(m) = message {
                put("message", m.into());
            }
            if *provisional {
                put("provisional", true.into());
            }
        }
        Outcome::Queued => put("queued", true.into()),
        Outcome::Duplicate => put("duplicate", true.into()),
        Outcome::Failed { status, error } => {
            if let Some(s) = status {
                put("status", (*s).into());
            }
            put("error", error.into());
        }
        Outcome::Clicked { click_id } => put("clickId", click_id.into()),
        Outcome::Done => {}
    }
    o.into()
}

// The shipped build has no std: a panic is a plain trap instead of pulling in the formatting
// machinery (≈20 KB), and memory comes from a ≈1 KB allocator instead of dlmalloc.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[global_allocator]
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    // SAFETY: wasm32-unknown-unknown without the atomics feature has a single thread.
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
