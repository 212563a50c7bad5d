//! The cross-domain hand-off (docs/contract.md §8): a business's sites pass the click on. Links and
//! forms to a listed site carry `affitor_click_id`, added at the moment the visitor navigates
//! (no link is rewritten ahead of time, so the id is the current one); the tracker on the other
//! site adopts it as if the click had happened there, without a second click request.

pub mod rules;

use crate::browser::{console, page};
use crate::click::cookies;
use alloc::string::String;
use rules::Adopt;

/// Takes on the click id a landing (`url`, as the loader recorded it) carries from another of
/// the business's sites, and removes it from the address bar so it is not shared onward.
pub fn adopt(url: &str) {
    match rules::adopt(url, cookies::click_id().as_deref()) {
        Adopt::Nothing => return,
        Adopt::Junk => console::warn(
            "ignored the address's affitor_click_id: a click id is 1 to 128 of A-Z a-z 0-9 _ . -",
        ),
        Adopt::Held => {}
        Adopt::Keep(id) => {
            cookies::adopt(id, cookies::DEFAULT_WINDOW_DAYS);
            console::debug("adopted the click id another site handed over", &id.into());
            crate::browser::events::announce(crate::click::CLICK_EVENT);
        }
    }
    let now = page::href();
    if rules::param(&now).is_some() {
        page::replace_address(&rules::without_param(&now));
    }
}

/// The click id a navigation to `host` carries, when it is a listed site and this browser
/// holds one; `None`: it goes as it is. The loader asks at the moment the visitor follows a
/// link or submits a form (`loader/handoff.js`), with the host as the browser parsed it.
pub fn outbound(host: &str) -> Option<String> {
    let page = crate::state::page().filter(|_| !crate::state::stopped())?;
    let id = cookies::click_id();
    rules::outbound(
        &page.config.domains,
        &page::hostname(),
        &host.to_ascii_lowercase(),
        id.as_deref(),
    )
    .map(String::from)
}
