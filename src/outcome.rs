//! What `signup()` and `trackClick()` resolve to (docs/contract.md §2): `{ ok, status?, error?, … }`.
//! Built property by property, not through the page's `JSON.parse`, which a page may break.

use crate::browser::{http::Reply, js};
use alloc::string::String;
use js_sys::Object;
use wasm_bindgen::JsValue;

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

    pub fn accepted(reply: &Reply) -> Outcome {
        Outcome::Accepted {
            status: Some(reply.status),
            message: reply.text("message"),
            provisional: reply.flag("provisional"),
        }
    }

    pub fn to_js(&self) -> JsValue {
        let o = Object::new();
        let put = |k: &str, v: JsValue| {
            js::set(&o, k, &v);
        };
        let ok = !matches!(self, Outcome::Failed { .. });
        put("ok", ok.into());
        match self {
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
}
