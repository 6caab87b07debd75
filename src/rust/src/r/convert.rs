//! The one place that turns core values and errors into R objects.

use extendr_api::prelude::*;
use std::ffi::c_void;
use std::time::{Duration, Instant};

use crate::r::ffi::{R_CheckUserInterrupt, R_ToplevelExec};

/// Raises R's interrupt if one is pending.
///
/// # Safety
/// Called through R_ToplevelExec only, which catches the long jump.
unsafe extern "C" fn check_interrupt(_: *mut c_void) {
    R_CheckUserInterrupt();
}

/// Whether the user pressed Ctrl-C. R_CheckUserInterrupt would long-jump
/// over Rust frames; R_ToplevelExec catches the jump and reports it.
fn user_interrupt_pending() -> bool {
    // SAFETY: R_ToplevelExec catches the long jump of an interrupt; the
    // callback it skips owns nothing to drop.
    unsafe { R_ToplevelExec(Some(check_interrupt), std::ptr::null_mut()) == 0 }
}

/// A password from R: the empty string means none.
pub fn password(value: &str) -> Option<&str> {
    (!value.is_empty()).then_some(value)
}

/// The dispatcher of a running compute profile (never in a forked child,
/// where the runtime's threads do not exist).
pub fn running(
    profile: &str,
) -> crew_core::Result<std::sync::Arc<crew_core::dispatcher::Dispatcher>> {
    crew_core::runtime::check_not_forked()?;
    crew_core::registry::get(profile)
        .ok_or_else(|| crew_core::Error::ProfileNotRunning(profile.to_string()))
}

/// A named list.
pub fn named(names: &[&str], values: Vec<Robj>) -> Robj {
    List::from_names_and_values(names, values)
        .map(Robj::from)
        .unwrap_or_else(invalid_argument)
}

/// The record of an error of the core; `R/native.R` raises it as a
/// `crew_error` of the error's kind (the record of `r/records.rs`, for
/// extendr functions).
pub fn core_error(error: crew_core::Error) -> Robj {
    // SAFETY: the record was just made; extendr protects it from here on.
    unsafe { Robj::from_sexp(crate::r::records::core_error(&error)) }
}

/// The record of an argument rejected before it reaches the core.
pub fn invalid_argument(message: impl std::fmt::Display) -> Robj {
    // SAFETY: the record was just made; extendr protects it from here on.
    unsafe { Robj::from_sexp(crate::r::records::invalid_argument(&message.to_string())) }
}

/// An interrupt record; `R/native.R` turns it into an R interrupt.
pub fn interrupt_record() -> Robj {
    // SAFETY: the record was just made; extendr protects it from here on.
    unsafe { Robj::from_sexp(crate::r::records::interrupt_record()) }
}

/// Seconds from R (NA, negative or infinite mean "none") as a duration;
/// huge numbers saturate (see `crew_core::duration`).
pub fn duration(seconds: f64) -> Option<Duration> {
    crew_core::duration::limit(seconds)
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
    poll: impl FnMut(Duration) -> Option<T>,
) -> Waited<T> {
    wait_in_slices(total, Duration::from_millis(50), poll)
}

/// [`wait_sliced`] with slices of `slice`: a worker waiting for its next
/// task runs with interrupts suspended, so it checks once a second rather
/// than twenty times, and an idle worker stays off the CPU.
pub fn wait_in_slices<T>(
    total: Option<Duration>,
    slice: Duration,
    mut poll: impl FnMut(Duration) -> Option<T>,
) -> Waited<T> {
    let deadline = total.map(crew_core::duration::deadline_in);
    loop {
        let slice = match deadline {
            Some(deadline) => deadline
                .saturating_duration_since(Instant::now())
                .min(slice),
            None => slice,
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
