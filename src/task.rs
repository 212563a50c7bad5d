//! Every way back into the tracker (a timer, a request's answer, the lock, `pagehide`) is one
//! JavaScript function: the module's exported `wake`, bound to a task and a slot. What a task
//! needs to carry on is kept in Rust, in the slot it names, so the wasm carries no closure per
//! callback: one export and one `bind` replace wasm-bindgen's closure machinery.

use crate::state;
use wasm_bindgen::prelude::*;

#[derive(Clone, Copy, PartialEq, Debug)]
#[repr(u32)]
pub enum Task {
    /// Does nothing: swallows a rejection nobody needs to see.
    Nothing,
    /// (Re)sends the request in slot `n` (a retry timer, a claim that held).
    Attempt,
    /// A request's headers are in (the value is the `Response`).
    Response,
    /// A request failed without an answer.
    Failed,
    /// A request's body has been read (the value is the text, or the read's error).
    Body,
    /// Slot `n`'s caller has waited long enough: it hears "queued".
    Timeout,
    /// Sends what the outbox holds (a lease ran out).
    Flush,
    /// `navigator.locks.request`'s callback: the value is the lock, or `null`.
    Locked,
    /// `pagehide`.
    Hide,
    /// Signups that waited for the landing page's click id go ahead.
    ClickWaitOver,
}

impl Task {
    pub fn from(n: u32) -> Task {
        const ALL: [Task; 10] = [
            Task::Nothing,
            Task::Attempt,
            Task::Response,
            Task::Failed,
            Task::Body,
            Task::Timeout,
            Task::Flush,
            Task::Locked,
            Task::Hide,
            Task::ClickWaitOver,
        ];
        ALL.get(n as usize).copied().unwrap_or(Task::Nothing)
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(f: &JsValue, ms: u32);
}

/// `wake.bind(null, task, slot)`: a JavaScript function that runs `task` for `slot`
/// (`undefined` before `start`, which `then` and `addEventListener` ignore).
pub fn callback(task: Task, slot: u32) -> JsValue {
    state::with(|t| {
        t.wake
            .bind2(&JsValue::NULL, &(task as u32).into(), &slot.into())
            .into()
    })
    .unwrap_or_default()
}

/// Runs `task` for `slot` after `ms` milliseconds.
pub fn later(ms: u32, task: Task, slot: u32) {
    let f = callback(task, slot);
    if !f.is_undefined() {
        set_timeout(&f, ms);
    }
}
