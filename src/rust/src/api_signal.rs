//! Counting condition variables for R: the relay objects of controllers
//! and groups, and the "task resolved" signal of each dispatcher.

use crate::convert::{duration, interrupt_record, wait_sliced, Waited};
use crew_core::signal::Signal;
use extendr_api::prelude::*;
use std::sync::Arc;

/// An R handle on a signal.
pub struct SignalHandle(pub Arc<Signal>);

/// Wraps a signal as an R external pointer of class `crew_signal`.
pub fn signal_robj(signal: Arc<Signal>) -> Robj {
    let mut ptr: Robj = ExternalPtr::new(SignalHandle(signal)).into();
    let _ = ptr.set_class(["crew_signal", "conditionVariable"]);
    ptr
}

/// A new signal with a zero count.
#[extendr]
fn native_signal_new() -> Robj {
    signal_robj(Signal::new())
}

/// Adds one to the count and forwards.
#[extendr]
fn native_signal_notify(signal: ExternalPtr<SignalHandle>) {
    signal.0.notify();
}

/// The current count.
#[extendr]
fn native_signal_value(signal: ExternalPtr<SignalHandle>) -> f64 {
    signal.0.value() as f64
}

/// Waits up to `seconds` to consume one signal; TRUE if one was consumed.
#[extendr]
fn native_signal_wait(signal: ExternalPtr<SignalHandle>, seconds: f64) -> Robj {
    let total = duration(seconds);
    match wait_sliced(total, |slice| signal.0.wait(slice).then_some(())) {
        Waited::Done(()) => true.into(),
        Waited::TimedOut => false.into(),
        Waited::Interrupted => interrupt_record(),
    }
}

/// Every later signal of `from` also signals `to`.
#[extendr]
fn native_signal_forward(from: ExternalPtr<SignalHandle>, to: ExternalPtr<SignalHandle>) {
    from.0.forward_to(&to.0);
}

extendr_module! {
    mod api_signal;
    fn native_signal_new;
    fn native_signal_notify;
    fn native_signal_value;
    fn native_signal_wait;
    fn native_signal_forward;
}
