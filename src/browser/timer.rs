//! Timers as futures, as gloo-timers does: `sleep(ms).await`, and `within(ms, f)` for a future
//! with a deadline. A pending timer is cleared when its future is dropped, so a signup that
//! got its answer leaves no timer behind.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use js_sys::Promise;
use wasm_bindgen_futures::JsFuture;

/// Resolves after `ms` milliseconds; dropped before that, it clears its `setTimeout`.
pub struct Sleep {
    /// The `setTimeout` handle until it fires; `None` from the start if none could be set.
    handle: Option<i32>,
    armed: bool,
    fired: JsFuture,
}

pub fn sleep(ms: u32) -> Sleep {
    let mut handle = None;
    // The timer calls the promise's own `resolve`: no Rust closure per timer.
    let fired = Promise::new(&mut |resolve, _| {
        handle = super::window().and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                ms.min(i32::MAX as u32) as i32,
            )
            .ok()
        });
    });
    Sleep {
        armed: handle.is_some(),
        handle,
        fired: JsFuture::from(fired),
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if !self.armed {
            // No timer could be set (no window): it never fires.
            return Poll::Pending;
        }
        match Pin::new(&mut self.fired).poll(cx) {
            Poll::Ready(_) => {
                self.handle = None;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let (Some(h), Some(w)) = (self.handle.take(), super::window()) {
            w.clear_timeout_with_handle(h);
        }
    }
}

/// `f`'s output if it is ready within `ms`, else `None` (and `f` is dropped).
pub fn within<F: Future>(ms: u32, f: F) -> Within<F> {
    Within {
        f: alloc::boxed::Box::pin(f),
        deadline: sleep(ms),
    }
}

/// The future [`within`] returns. A plain struct rather than an `async fn`: no state machine
/// of its own for each future it wraps.
pub struct Within<F> {
    f: Pin<alloc::boxed::Box<F>>,
    deadline: Sleep,
}

impl<F: Future> Future for Within<F> {
    type Output = Option<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(v) = self.f.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        Pin::new(&mut self.deadline).poll(cx).map(|()| None)
    }
}
