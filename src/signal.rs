//! How one task tells others it is done, without a runtime beyond wasm-bindgen-futures:
//! a [`Gate`] that waiters pass once nothing holds it (a signup waits for the click request in
//! flight), and a [`oneshot`] value (a signup's answer, from the task delivering it).

use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::future::{Future, poll_fn};
use core::task::{Poll, Waker};

/// Held while some work is under way; `open()` resolves once none is.
#[derive(Default)]
pub struct Gate {
    held: Cell<u32>,
    waiting: RefCell<Vec<Waker>>,
}

/// Holds the gate until dropped.
pub struct Held<'a>(&'a Gate);

impl Gate {
    pub const fn new() -> Self {
        Gate {
            held: Cell::new(0),
            waiting: RefCell::new(Vec::new()),
        }
    }

    pub fn hold(&self) -> Held<'_> {
        self.held.set(self.held.get() + 1);
        Held(self)
    }

    pub fn is_held(&self) -> bool {
        self.held.get() > 0
    }

    /// Resolves when nothing holds the gate.
    pub fn open(&self) -> impl Future<Output = ()> + '_ {
        poll_fn(|cx| {
            if !self.is_held() {
                return Poll::Ready(());
            }
            if let Ok(mut w) = self.waiting.try_borrow_mut() {
                w.push(cx.waker().clone());
            }
            Poll::Pending
        })
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let gate = self.0;
        gate.held.set(gate.held.get().saturating_sub(1));
        if !gate.is_held() {
            let waiting = gate
                .waiting
                .try_borrow_mut()
                .map(|mut w| core::mem::take(&mut *w));
            for w in waiting.unwrap_or_default() {
                w.wake();
            }
        }
    }
}

struct Shared<T> {
    value: RefCell<Option<T>>,
    waker: RefCell<Option<Waker>>,
}

pub struct Sender<T>(Rc<Shared<T>>);

pub struct Receiver<T>(Rc<Shared<T>>);

/// A value handed from one task to the one awaiting it.
pub fn oneshot<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Rc::new(Shared {
        value: RefCell::new(None),
        waker: RefCell::new(None),
    });
    (Sender(shared.clone()), Receiver(shared))
}

impl<T> Sender<T> {
    pub fn send(self, v: T) {
        *self.0.value.borrow_mut() = Some(v);
        if let Some(w) = self.0.waker.borrow_mut().take() {
            w.wake();
        }
    }
}

impl<T> Receiver<T> {
    /// The value, once sent (never, if the sender is dropped without sending).
    pub async fn recv(self) -> T {
        poll_fn(|cx| match self.0.value.borrow_mut().take() {
            Some(v) => Poll::Ready(v),
            None => {
                *self.0.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}
