//! Tasks on wasm-bindgen-futures: spawning, detaching work no one waits for, and the switch
//! `forget()` turns, after which the glue writes nothing and starts no detached work.

use super::Local;
use alloc::boxed::Box;
use core::cell::Cell;
use core::future::Future;
use core::pin::Pin;
use wasm_bindgen::JsValue;

static STOPPED: Local<Cell<bool>> = Local(Cell::new(false));

/// `forget()` ran: nothing more is written or started on this page.
pub fn stop() {
    STOPPED.set(true);
}

pub fn stopped() -> bool {
    STOPPED.get()
}

/// `wasm_bindgen_futures::spawn_local`, through one non-generic call: each caller boxes its
/// future, and the executor's spawning code is compiled once instead of once per future type.
pub fn spawn_local(future: impl Future<Output = ()> + 'static) {
    spawn_boxed(Box::pin(future));
}

#[inline(never)]
fn spawn_boxed(future: Pin<Box<dyn Future<Output = ()>>>) {
    wasm_bindgen_futures::spawn_local(future);
}

/// Runs `work` with no one waiting for its result (a queued call, the landing page's click, a
/// lead an earlier page left); it logs along the way. Not once the tracker has stopped.
pub fn detach<T: 'static>(work: impl Future<Output = T> + 'static) {
    answer(Box::pin(work), JsValue::UNDEFINED, |_, _| {});
}

/// Runs `work`, unless the tracker has stopped by the time the task starts, and hands `then`
/// its result (`None`: stopped) with `resolve`, the loader's function that answers the page.
/// One copy of this task serves every call, answered or detached.
#[inline(never)]
pub fn answer<T: 'static>(
    work: Pin<Box<dyn Future<Output = T>>>,
    resolve: JsValue,
    then: fn(&JsValue, Option<T>),
) {
    spawn_local(async move {
        let result = if stopped() { None } else { Some(work.await) };
        then(&resolve, result);
    });
}
