//! Counting condition variables for R: the relay objects of controllers
//! and groups, and the "task resolved" signal of each dispatcher. A signal
//! is one of this package's tagged external pointers (see `r/sexp.rs`), so a
//! condition variable of another package, which may carry the same class,
//! or a signal read back with `readRDS()`, is refused with an error.

use crate::api::signal_handles::{signal, signal_robj};
use crate::r::convert::{duration, interrupt_record, wait_sliced, Waited};
use crew_core::event_count::EventCount as Signal;
use extendr_api::prelude::*;

/// A new signal with a zero count.
#[extendr]
fn native_signal_new() -> Robj {
    signal_robj(Signal::new())
}

/// Adds one to the count and forwards.
#[extendr]
fn native_signal_notify(signal_: Robj) -> Robj {
    match signal(&signal_, "signal") {
        Ok(s) => {
            s.notify();
            ().into()
        }
        Err(record) => record,
    }
}

/// The current count.
#[extendr]
fn native_signal_value(signal_: Robj) -> Robj {
    match signal(&signal_, "signal") {
        Ok(s) => (s.value() as f64).into(),
        Err(record) => record,
    }
}

/// Waits up to `seconds` to consume one signal; TRUE if one was consumed.
#[extendr]
fn native_signal_wait(signal_: Robj, seconds: f64) -> Robj {
    let s = match signal(&signal_, "signal") {
        Ok(s) => s.clone(),
        Err(record) => return record,
    };
    let total = duration(seconds);
    match wait_sliced(total, |slice| s.wait(slice).then_some(())) {
        Waited::Done(()) => true.into(),
        Waited::TimedOut => false.into(),
        Waited::Interrupted => interrupt_record(),
    }
}

/// Every later signal of `from` also signals `to`.
#[extendr]
fn native_signal_forward(from: Robj, to: Robj) -> Robj {
    match (signal(&from, "from"), signal(&to, "to")) {
        (Ok(from), Ok(to)) => {
            from.forward_to(to);
            ().into()
        }
        (Err(record), _) | (_, Err(record)) => record,
    }
}

extendr_module! {
    mod api_signal;
    fn native_signal_new;
    fn native_signal_notify;
    fn native_signal_value;
    fn native_signal_wait;
    fn native_signal_forward;
}
