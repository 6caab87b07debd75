//! The one place that turns core values and errors into R objects.

use extendr_api::prelude::*;
use std::ffi::c_void;
use std::time::{Duration, Instant};

extern "C" {
    fn R_ToplevelExec(fun: Option<unsafe extern "C" fn(*mut c_void)>, data: *mut c_void) -> i32;
    fn R_CheckUserInterrupt();
}

unsafe extern "C" fn check_interrupt(_: *mut c_void) {
    R_CheckUserInterrupt();
}

/// Whether the user pressed Ctrl-C. R_CheckUserInterrupt would long-jump
/// over Rust frames; R_ToplevelExec catches the jump and reports it.
fn user_interrupt_pending() -> bool {
    unsafe { R_ToplevelExec(Some(check_interrupt), std::ptr::null_mut()) == 0 }
}

/// A message R can hold: an embedded NUL would abort R.
fn sanitize(message: &str) -> String {
    message.replace('\0', "\\0")
}

fn record(message: &str, class: &str) -> Robj {
    let mut out: Robj = List::from_names_and_values(["message"], [Robj::from(sanitize(message))])
        .map(Robj::from)
        .unwrap_or_else(|_| Robj::from(()));
    let _ = out.set_class([class, "crew_native_condition"]);
    out
}

/// A named list.
pub fn named(names: &[&str], values: Vec<Robj>) -> Robj {
    List::from_names_and_values(names, values)
        .map(Robj::from)
        .unwrap_or_else(error_record)
}

/// An error record; `R/native.R` raises it as a `crew_error`.
pub fn error_record(message: impl std::fmt::Display) -> Robj {
    record(&message.to_string(), "crew_native_error")
}

/// An interrupt record; `R/native.R` turns it into an R interrupt.
pub fn interrupt_record() -> Robj {
    record("interrupted by the user", "crew_native_interrupt")
}

/// Converts a core result into a value or an error record.
pub fn value_or_record<T: Into<Robj>>(result: crew_core::Result<T>) -> Robj {
    match result {
        Ok(value) => value.into(),
        Err(error) => error_record(error),
    }
}

/// An optional string as an R string element (NA when absent).
pub fn rstr(value: Option<&str>) -> Rstr {
    match value {
        Some(text) => Rstr::from(sanitize(text).as_str()),
        None => Rstr::na(),
    }
}

/// Seconds from R (NA, negative or infinite mean "none") as a duration.
pub fn duration(seconds: f64) -> Option<Duration> {
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// The outcome of a sliced wait.
pub enum Waited<T> {
    Done(T),
    TimedOut,
    Interrupted,
}

/// Calls `poll` with waits of at most 50 ms until it yields a value, the
/// total time passes, or the user interrupts.
pub fn wait_sliced<T>(
    total: Option<Duration>,
    mut poll: impl FnMut(Duration) -> Option<T>,
) -> Waited<T> {
    const SLICE: Duration = Duration::from_millis(50);
    let deadline = total.map(|t| Instant::now() + t);
    loop {
        let slice = match deadline {
            Some(deadline) => deadline
                .saturating_duration_since(Instant::now())
                .min(SLICE),
            None => SLICE,
        };
        if let Some(value) = poll(slice) {
            return Waited::Done(value);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Waited::TimedOut;
        }
        if user_interrupt_pending() {
            return Waited::Interrupted;
        }
    }
}
