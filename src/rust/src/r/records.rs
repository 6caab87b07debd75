//! The condition records that raw entry points return instead of raising
//! R errors, and the guard that keeps a Rust panic from crossing into R.
//! `R/native.R` turns each record into a classed R condition: an error
//! record carries the error's kind, which becomes the class
//! `crew_error_<kind>` (the kinds are listed in `R/conditions.R`).

use crate::r::ffi::{Rf_allocVector, SET_VECTOR_ELT, SEXP, SEXPTYPE};
use crate::r::sexp::{self, Protect};

thread_local! {
    static MESSAGE: SEXP = sexp::preserved_strings(&["message"]);
    static MESSAGE_KIND: SEXP = sexp::preserved_strings(&["message", "kind"]);
    static ERROR: SEXP = sexp::preserved_strings(&["crew_native_error", "crew_native_condition"]);
    static CLOSED: SEXP = sexp::preserved_strings(&[
        "crew_native_closed",
        "crew_native_error",
        "crew_native_condition",
    ]);
    static INTERRUPT: SEXP =
        sexp::preserved_strings(&["crew_native_interrupt", "crew_native_condition"]);
}

fn record(message: &str, kind: Option<&str>, class: SEXP) -> SEXP {
    let mut protect = Protect::new();
    let n = if kind.is_some() { 2 } else { 1 };
    // SAFETY: allocates on R's main thread; the result is protected or returned
    // before anything else allocates.
    let out = protect.keep(unsafe { Rf_allocVector(SEXPTYPE::VECSXP, n) });
    // SAFETY: `out` is a protected list of one or two elements; the message is
    // set before anything else allocates.
    unsafe { SET_VECTOR_ELT(out, 0, sexp::string(message)) };
    if let Some(kind) = kind {
        // SAFETY: as above; `out` has a second element for the kind.
        unsafe { SET_VECTOR_ELT(out, 1, sexp::string(kind)) };
        sexp::set_names(out, MESSAGE_KIND.with(|m| *m));
    } else {
        sexp::set_names(out, MESSAGE.with(|m| *m));
    }
    sexp::set_class(out, class);
    out
}

/// An error record of `kind` (a [`crew_core::Error::kind`] name): R
/// raises it as a `crew_error` of class `crew_error_<kind>`.
pub fn error_record(kind: &str, message: &str) -> SEXP {
    record(message, Some(kind), ERROR.with(|c| *c))
}

/// The record of an error of the core, with its kind.
pub fn core_error(error: &crew_core::Error) -> SEXP {
    error_record(error.kind(), &error.to_string())
}

/// The record of an argument the binding rejects before it reaches the
/// core; the message names the argument.
pub fn invalid_argument(message: &str) -> SEXP {
    error_record("invalid_argument", message)
}

/// The dispatcher behind a handle has stopped: the caller may get a fresh
/// handle and try again.
pub fn closed_record() -> SEXP {
    record(
        "the controller's dispatcher has stopped",
        Some("not_running"),
        CLOSED.with(|c| *c),
    )
}

/// The user pressed Ctrl-C while the call waited.
pub fn interrupt_record() -> SEXP {
    record("interrupted by the user", None, INTERRUPT.with(|c| *c))
}

/// Runs the body of an entry point; a panic becomes an error record.
pub fn with_guard(body: impl FnOnce() -> SEXP) -> SEXP {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(out) => out,
        Err(_) => error_record("internal", "internal error in the crew library"),
    }
}
