//! The condition records that raw entry points return instead of raising
//! R errors, and the guard that keeps a Rust panic from crossing into R.
//! `R/native.R` turns each record into a classed R condition.

use crate::r::ffi::{Rf_allocVector, SET_VECTOR_ELT, SEXP, SEXPTYPE};
use crate::r::sexp::{self, Protect};

thread_local! {
    static MESSAGE: SEXP = sexp::preserved_strings(&["message"]);
    static ERROR: SEXP = sexp::preserved_strings(&["crew_native_error", "crew_native_condition"]);
    static CLOSED: SEXP = sexp::preserved_strings(&[
        "crew_native_closed",
        "crew_native_error",
        "crew_native_condition",
    ]);
    static INTERRUPT: SEXP =
        sexp::preserved_strings(&["crew_native_interrupt", "crew_native_condition"]);
}

fn record(message: &str, class: SEXP) -> SEXP {
    let mut protect = Protect::new();
    // SAFETY: allocates on R's main thread; the result is protected or returned
    // before anything else allocates.
    let out = protect.keep(unsafe { Rf_allocVector(SEXPTYPE::VECSXP, 1) });
    // SAFETY: `out` is a protected list of one element; the message is set
    // before anything else allocates.
    unsafe { SET_VECTOR_ELT(out, 0, sexp::string(message)) };
    sexp::set_names(out, MESSAGE.with(|m| *m));
    sexp::set_class(out, class);
    out
}

/// An error record: R raises it as a `crew_error`.
pub fn error_record(message: &str) -> SEXP {
    record(message, ERROR.with(|c| *c))
}

/// The dispatcher behind a handle has stopped: the caller may get a fresh
/// handle and try again.
pub fn closed_record() -> SEXP {
    record(
        "the controller's dispatcher has stopped",
        CLOSED.with(|c| *c),
    )
}

/// The user pressed Ctrl-C while the call waited.
pub fn interrupt_record() -> SEXP {
    record("interrupted by the user", INTERRUPT.with(|c| *c))
}

/// Runs the body of an entry point; a panic becomes an error record.
pub fn with_guard(body: impl FnOnce() -> SEXP) -> SEXP {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(out) => out,
        Err(_) => error_record("internal error in the crew library"),
    }
}
