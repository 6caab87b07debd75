//! Signals as R objects: one of this package's tagged external pointers
//! (see `r/sexp.rs`) of class `crew_signal`, so that a condition variable of
//! another package, which may carry the same class, or a signal read back
//! with `readRDS()`, is refused with an error.

use crate::r::convert::invalid_argument;
use crate::r::sexp;
use crew_core::event_count::EventCount as Signal;
use extendr_api::prelude::*;
use std::sync::Arc;

/// An R handle on a signal.
pub struct SignalHandle(pub Arc<Signal>);

thread_local! {
    static TAG: crate::r::ffi::SEXP = sexp::symbol(c"crew_signal");
    static CLASS: crate::r::ffi::SEXP = sexp::preserved_strings(&["crew_signal", "conditionVariable"]);
}

/// Wraps a signal as an R external pointer of class `crew_signal`.
pub fn signal_robj(signal: Arc<Signal>) -> Robj {
    let x = sexp::external(SignalHandle(signal), TAG.with(|t| *t), false);
    // SAFETY: `x` was just made; extendr protects it from here on.
    let robj = unsafe { Robj::from_sexp(x) };
    sexp::set_class(x, CLASS.with(|c| *c));
    robj
}

/// The signal behind `x`, or the error record naming `argument`.
pub fn signal<'a>(x: &'a Robj, argument: &str) -> std::result::Result<&'a Arc<Signal>, Robj> {
    sexp::robj_external_ref::<SignalHandle>(x, TAG.with(|t| *t))
        .map(|handle| &handle.0)
        .ok_or_else(|| invalid_argument(format!("{argument} must be a signal of this package")))
}
