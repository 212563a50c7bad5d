//! `window.affitorQueue`: calls a page made before the tracker loaded (docs/contract.md §2).
//! Entries are arrays like `['signup', customerKey, email]`; each is read without trusting it
//! (a getter, a Proxy, a frozen array).

use crate::browser::task::detach;
use crate::browser::{console, js, page};
use crate::{click, lead};
use wasm_bindgen::JsValue;

/// The most entries run from a queue the page filled before the tracker loaded.
const MAX_ENTRIES: u32 = 10_000;

#[derive(Debug, PartialEq, Clone, Copy)]
pub enum Command {
    Signup,
    TrackClick,
    Forget,
}

pub fn command(name: &str) -> Option<Command> {
    match name {
        "signup" => Some(Command::Signup),
        "trackClick" => Some(Command::TrackClick),
        "forget" => Some(Command::Forget),
        _ => None,
    }
}

/// Runs every entry already queued, in order, and empties the queue where the page lets it.
/// (The loader hands over a copy of the page's queue, and says so when that is no array: here
/// anything but an array holds no entry.)
pub fn drain(queue: &JsValue) {
    let entries = js::items(queue, MAX_ENTRIES);
    if !entries.is_empty() {
        js::set(queue, "length", &0.into());
    }
    for entry in entries {
        run(&entry);
    }
}

/// Runs one entry; anything that is not a known command is skipped with a warning.
pub fn run(entry: &JsValue) {
    let name = js::is_array(entry)
        .then(|| js::index(entry, 0).as_string())
        .flatten();
    let (a, b) = (js::index(entry, 1), js::index(entry, 2));
    match name.as_deref().and_then(command) {
        // A queued call has no one to answer: its outcome is logged along the way.
        Some(Command::Signup) => detach(lead::signup(a, b, None)),
        Some(Command::TrackClick) => detach(click::capture(
            a.as_string().unwrap_or_else(page::href),
            b.as_string(),
        )),
        Some(Command::Forget) => {
            crate::forget::forget();
        }
        None => console::warn(
            "skipped an affitorQueue entry: expected ['signup', customerKey, email] or ['trackClick', url]",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_commands() {
        assert_eq!(command("signup"), Some(Command::Signup));
        assert_eq!(command("trackClick"), Some(Command::TrackClick));
        assert_eq!(command("forget"), Some(Command::Forget));
        assert_eq!(command("Signup"), None);
        assert_eq!(command(""), None);
        assert_eq!(command("track"), None);
    }
}
