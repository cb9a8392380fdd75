//! Stopping a running query from another thread (the REPL's Ctrl-C).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

#[derive(Debug, Default)]
struct Inner {
    cancelled: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

/// A flag that stops a query started with [`crate::Engine::run_cancellable`].
///
/// Clones share the flag: hand one to a signal handler, keep one for the query.
/// ```
/// let token = trailhunt_engine::CancelToken::new();
/// let handler = token.clone();
/// handler.cancel();
/// assert!(token.is_cancelled());
/// token.reset();
/// assert!(!token.is_cancelled());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<Inner>);

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask the running query (if any) to stop.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        if let Some(w) = self
            .0
            .waker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            w.wake();
        }
    }

    /// Whether [`CancelToken::cancel`] was called since the last reset.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Clear the flag (before starting the next query).
    pub fn reset(&self) {
        self.0.cancelled.store(false, Ordering::SeqCst);
    }

    /// Resolves once the token is cancelled.
    pub(crate) fn cancelled(&self) -> Cancelled<'_> {
        Cancelled(self)
    }
}

/// The future returned by [`CancelToken::cancelled`].
pub(crate) struct Cancelled<'a>(&'a CancelToken);

impl Future for Cancelled<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let inner = &self.0.0;
        if inner.cancelled.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        *inner.waker.lock().unwrap_or_else(|p| p.into_inner()) = Some(cx.waker().clone());
        // Checked again: a cancel between the first check and storing the waker would
        // otherwise be missed.
        if inner.cancelled.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}
