//! What `signup()` and `trackClick()` resolve to (docs/contract.md §2); the export edge
//! (`lib.rs`) makes the page's result object of it.

use alloc::string::String;

#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// The API took the lead (`status` is absent when an earlier page's attempt had).
    Accepted {
        status: Option<u16>,
        message: Option<String>,
        provisional: bool,
    },
    /// Kept in this browser and sent later: the API has not answered for good yet.
    Queued,
    /// This browser already sent this customer's lead.
    Duplicate,
    Failed {
        status: Option<u16>,
        error: String,
    },
    /// `trackClick()`: the click id the browser now holds.
    Clicked {
        click_id: String,
    },
    /// `forget()`: done.
    Done,
}

impl Outcome {
    /// What a call answers once `forget()` has stopped the tracker on this page; `None` before.
    /// (Here, below `lead` and `forget` alike, so that delivery need not ask `forget`.)
    pub fn stopped() -> Option<Outcome> {
        crate::state::stopped()
            .then(|| Outcome::failed(None, "the tracker was stopped by forget()"))
    }

    pub fn failed(status: Option<u16>, error: &str) -> Outcome {
        Outcome::Failed {
            status,
            error: String::from(error),
        }
    }
}
