//! Values of large results read while their bytes arrived, during
//! `wait()`: R's thread would otherwise sit idle for the transfer and then
//! unserialize (and collect garbage) after it. Each value is kept from the
//! garbage collector until the result row of its task takes it.

use crate::r::ffi::{R_PreserveObject, R_ReleaseObject, SEXP};
use crate::serial;
use crew_core::dispatcher::Dispatcher;
use crew_core::incoming::Incoming;
use std::cell::RefCell;
use std::sync::Arc;

/// Early values by the bytes they were read from. The bytes are shared
/// with the task's outcome, so an entry whose bytes only it still holds
/// belongs to a task that will never have a row (cancelled while its
/// result arrived) and is dropped.
#[derive(Default)]
pub struct EarlyValues(RefCell<Vec<(Arc<Incoming>, SEXP)>>);

impl EarlyValues {
    /// Reads `incoming` as its bytes arrive and keeps the value. A result
    /// that cannot be read this way (a broken connection, a failing hook,
    /// an interrupt) is left to the result row, which reports it.
    pub fn read(&self, incoming: Arc<Incoming>) {
        self.forget_orphans();
        if let Ok(value) = serial::unserialize_arriving(&incoming) {
            // SAFETY: keeps `value` until its row takes it or it is dropped;
            // released once in each case.
            unsafe { R_PreserveObject(value) };
            self.0.borrow_mut().push((incoming, value));
        }
    }

    /// The value read early from `incoming`, if any, no longer kept: the
    /// caller stores it in a protected object before it allocates.
    pub fn take(&self, incoming: &Arc<Incoming>) -> Option<SEXP> {
        let mut values = self.0.borrow_mut();
        let position = values.iter().position(|(i, _)| Arc::ptr_eq(i, incoming))?;
        let (_, value) = values.swap_remove(position);
        // SAFETY: `value` was preserved by `read` and leaves the list here, so
        // it is released once.
        unsafe { R_ReleaseObject(value) };
        Some(value)
    }

    fn forget_orphans(&self) {
        self.0.borrow_mut().retain(|(incoming, value)| {
            let orphan = Arc::strong_count(incoming) == 1;
            if orphan {
                // SAFETY: `value` was preserved by `read` and leaves the list
                // here, so it is released once.
                unsafe { R_ReleaseObject(*value) };
            }
            !orphan
        });
    }
}

impl Drop for EarlyValues {
    fn drop(&mut self) {
        // Dropped with the dispatcher handle, on R's thread.
        for (_, value) in self.0.get_mut().drain(..) {
            // SAFETY: dropped with the dispatcher handle on R's thread; each
            // value was preserved by `read`.
            unsafe { R_ReleaseObject(value) };
        }
    }
}

/// Waits as [`Dispatcher::wait_for`] does, reading large results that
/// start to arrive meanwhile into `early`. `None` if the time ran out.
pub fn wait_reading(
    d: &Dispatcher,
    early: &EarlyValues,
    any: bool,
    slice: std::time::Duration,
) -> Option<()> {
    use crew_core::dispatcher::Woken;
    match d.wait_or_arriving(any, slice) {
        Woken::Holds => Some(()),
        Woken::TimedOut => None,
        Woken::Arriving(incoming) => {
            early.read(incoming);
            None
        }
    }
}
