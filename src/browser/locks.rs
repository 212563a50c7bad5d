//! The Web Locks API, so that the page's tabs change the outbox one at a time, and a tab can
//! tell that another is sending a customer's lead. web-sys has it only behind
//! `web_sys_unstable_apis`, so `navigator.locks.request` is declared here.

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["navigator", "locks"], js_name = request)]
    fn ask(name: &str, options: &JsValue, callback: &JsValue) -> Result<Requested, JsValue>;
    /// The promise `request` returns.
    type Requested;
    /// `catch(f)` with a plain function (js-sys's `Promise::catch` takes a Rust closure).
    #[wasm_bindgen(method, js_name = catch)]
    fn or_else(this: &Requested, f: &Function);
}

/// Held until dropped. `exclusive` is false where the browser has no Web Locks (old Safari,
/// insecure contexts): the caller then has to allow for another tab doing the same.
pub struct Lock {
    release: Option<Function>,
    pub exclusive: bool,
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
    }
}

/// A lock asked for: the request is made at once, and [`Request::granted`] waits for it, so
/// that two locks can be asked for together. Dropped before it is granted, the lock is let go as
/// soon as it is.
pub struct Request {
    lock: Lock,
    acquired: Option<JsFuture>,
}

/// Asks for the lock `name`; with `if_available`, only if no other page or tab of this site
/// holds it.
pub fn request(name: &str, if_available: bool) -> Request {
    let mut release = None;
    // The lock is held until this promise resolves: resolving it is the guard's drop.
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let (mut granted, mut refused) = (None, None);
    let acquired = Promise::new(&mut |resolve, reject| {
        granted = Some(resolve);
        refused = Some(reject);
    });
    let (Some(release), Some(granted), Some(refused)) = (release, granted, refused) else {
        return Request::none();
    };
    // `lock` is null when `ifAvailable` found the lock taken.
    // FnMut, though called once: an FnOnce brings its own wrapper (and its panic message).
    let callback = Closure::<dyn FnMut(JsValue) -> Promise>::new(move |lock: JsValue| {
        let _ = granted.call1(&JsValue::UNDEFINED, &lock.is_object().into());
        held.clone()
    })
    .into_js_value();
    // A bare object: a page's Object.prototype (`steal`, `mode`) must not change the request.
    let options: js_sys::Object = js_sys::Object::create(JsValue::NULL.unchecked_ref());
    crate::browser::js::set(&options, "ifAvailable", &if_available.into());
    let Ok(requested) = ask(name, &options, &callback) else {
        return Request::none(); // no Web Locks here
    };
    // A request the browser turns down (the page is unloading) ends the wait too, and leaves
    // no unhandled rejection behind.
    requested.or_else(&refused);
    Request {
        lock: Lock {
            release: Some(release),
            exclusive: true,
        },
        acquired: Some(JsFuture::from(acquired)),
    }
}

impl Request {
    /// Granted at once, not exclusive: where the browser has no Web Locks.
    fn none() -> Request {
        Request {
            lock: Lock::none(),
            acquired: None,
        }
    }

    /// The lock once granted; `None` when `if_available` found it taken. Where the browser
    /// has no Web Locks (or refused the request): a lock that is not `exclusive`.
    pub async fn granted(self) -> Option<Lock> {
        let Some(acquired) = self.acquired else {
            return Some(self.lock);
        };
        match acquired.await {
            Ok(got) if got.is_truthy() => Some(self.lock),
            Ok(_) => None,
            Err(_) => Some(Lock::none()),
        }
    }
}

impl Lock {
    fn none() -> Lock {
        Lock {
            release: None,
            exclusive: false,
        }
    }
}
