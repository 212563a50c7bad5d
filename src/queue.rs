//! `window.affitorQueue`: calls a page made before the tracker loaded (CONTRACT.md §2).
//! Entries are arrays like `['signup', customerKey, email]`.

use crate::{api, log};
use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};

#[derive(Debug, PartialEq, Clone, Copy)]
pub enum Command {
    Signup,
    TrackClick,
}

pub fn command(name: &str) -> Option<Command> {
    match name {
        "signup" => Some(Command::Signup),
        "trackClick" => Some(Command::TrackClick),
        _ => None,
    }
}

/// Runs and removes every entry already queued, in order.
pub fn drain(queue: &JsValue) {
    if queue.is_undefined() || queue.is_null() {
        return;
    }
    let Some(queue) = queue.dyn_ref::<Array>() else {
        log::warn("window.affitorQueue is not an array, so its entries cannot be run");
        return;
    };
    let entries = queue.slice(0, queue.length());
    queue.set_length(0);
    for entry in entries.iter() {
        run(&entry);
    }
}

/// Runs one entry; anything that is not a known command is skipped with a warning.
pub fn run(entry: &JsValue) {
    let known = entry
        .dyn_ref::<Array>()
        .and_then(|e| Some((command(&e.get(0).as_string()?)?, e)));
    match known {
        Some((Command::Signup, e)) => {
            // The result is logged by `signup`; a queued call has no one to return it to.
            api::signup(e.get(1), e.get(2), None);
        }
        Some((Command::TrackClick, e)) => api::track_click(e.get(1), JsValue::UNDEFINED, None),
        None => log::warn(
            "skipped an affitorQueue entry: expected ['signup', customerKey, email] or ['trackClick']",
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
        assert_eq!(command("Signup"), None);
        assert_eq!(command(""), None);
        assert_eq!(command("track"), None);
    }
}
