//! Local processes for R: listing a user's processes by command line,
//! checking whether processes run, and ending them.

use crate::r::convert::duration;
use crew_core::process;
use extendr_api::prelude::*;
use std::time::Duration;

/// Process ids as the core takes them; NA, negative and fractional or
/// out-of-range values become 0, which names no process.
fn pids(values: &Doubles) -> Vec<u32> {
    values
        .iter()
        .map(|x| match Option::<f64>::from(x) {
            Some(x) if x >= 1.0 && x <= u32::MAX as f64 && x.fract() == 0.0 => x as u32,
            _ => 0,
        })
        .collect()
}

/// Sorted ids of the processes of `user` (NULL: all users) whose command
/// line contains `pattern`.
#[extendr]
fn native_process_find(user: Nullable<&str>, pattern: &str) -> Robj {
    let user = match user {
        Nullable::NotNull(name) => Some(name),
        Nullable::Null => None,
    };
    let found = process::find(user, pattern);
    Integers::from_values(found.into_iter().map(|pid| pid as i32)).into()
}

/// Whether each process is running (a zombie is not).
#[extendr]
fn native_process_running(pids_in: Doubles) -> Robj {
    Logicals::from_values(process::running(&pids(&pids_in))).into()
}

/// Ends processes: SIGTERM, then SIGKILL after `grace_seconds`. Returns
/// one word per process: terminated, killed, not_found, denied, survived.
#[extendr]
fn native_process_terminate(pids_in: Doubles, grace_seconds: f64) -> Robj {
    let grace = duration(grace_seconds).unwrap_or(Duration::ZERO);
    let endings = process::terminate(&pids(&pids_in), grace);
    Strings::from_values(endings.into_iter().map(|ending| ending.name())).into()
}

/// The signal number that asks a process to end (SIGTERM).
#[extendr]
fn native_terminate_signal() -> i32 {
    crew_core::os::TERMINATE_SIGNAL
}

extendr_module! {
    mod api_process;
    fn native_terminate_signal;
    fn native_process_find;
    fn native_process_running;
    fn native_process_terminate;
}
