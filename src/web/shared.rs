//! One piece of work whose result any number of callers await: the code exchange of a callback
//! (React StrictMode handles it twice), and an app call that the session machine settles.

#[allow(unused_imports)]
use crate::prelude::*;

use alloc::rc::Rc;
use core::cell::RefCell;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use crate::protocol::error::Error;

struct State<T> {
    result: Option<Result<T, Error>>,
    waiting: Vec<Waker>,
}

/// A result to come, shared: cloning the handle shares the same work.
pub struct Shared<T>(Rc<RefCell<State<T>>>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T: Clone + 'static> Shared<T> {
    /// Starts `work` (on the microtask queue, as a promise would) and shares its result.
    pub fn spawn(work: impl Future<Output = Result<T, Error>> + 'static) -> Self {
        let shared = Self::pending();
        let done = shared.clone();
        wasm_bindgen_futures::spawn_local(async move { done.set(work.await) });
        shared
    }

    /// A result known at once (an error found before any work started).
    pub fn ready(result: Result<T, Error>) -> Self {
        Shared(Rc::new(RefCell::new(State { result: Some(result), waiting: Vec::new() })))
    }

    /// The result, when the work is done.
    pub fn wait(&self) -> Wait<T> {
        Wait(self.0.clone())
    }
}

impl<T> Shared<T> {
    /// A result that [`Shared::set`] gives later (a call the session machine settles).
    pub fn pending() -> Self {
        Shared(Rc::new(RefCell::new(State { result: None, waiting: Vec::new() })))
    }

    /// Gives the result (the first one only) and wakes every waiter.
    pub fn set(&self, result: Result<T, Error>) {
        let waiting = {
            let mut s = self.0.borrow_mut();
            if s.result.is_some() {
                return;
            }
            s.result = Some(result);
            core::mem::take(&mut s.waiting)
        };
        for w in waiting {
            w.wake();
        }
    }

    /// The result, taken out when it comes: for a result with one reader (an app call).
    pub fn take(&self) -> Take<T> {
        Take(self.0.clone())
    }
}

/// The future of [`Shared::take`].
pub struct Take<T>(Rc<RefCell<State<T>>>);

impl<T> Future for Take<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.0.borrow_mut();
        match s.result.take() {
            Some(r) => Poll::Ready(r),
            None => {
                s.waiting.push(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// The future of [`Shared::wait`].
pub struct Wait<T>(Rc<RefCell<State<T>>>);

impl<T: Clone> Future for Wait<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.0.borrow_mut();
        match &s.result {
            Some(r) => Poll::Ready(r.clone()),
            None => {
                s.waiting.push(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
