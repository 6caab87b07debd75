//! The R binding of the crew core. Every entry point is called from
//! `R/native.R`, runs on R's main thread, never raises an R error for an
//! expected failure (it returns an error record instead), and waits in
//! short slices so that Ctrl-C always works. Four rooms:
//!
//! - `api/`: every entry point R calls. Most are extendr functions; the
//!   ones taken once per task (push, take, wait, the worker loop, task
//!   handles) are plain `.Call` functions on raw R objects, all listed in
//!   one table, `api/routines.rs`.
//! - `r/`: R's C API. The only module that declares R's functions and
//!   variables (`r/ffi.rs`) and the helpers that build and read R objects,
//!   protect them, turn failures into condition records, catch interrupts
//!   and run callbacks on `later`'s loops.
//! - `serial/`: R's serialization format: a writer and a reader of their
//!   own for plain data, R's serializer for the rest, and the serialization
//!   hooks of a controller's `serialization` setting.
//! - `tasks/`: the task machinery between R and the core's dispatcher:
//!   `push()`'s arguments, the controller's dispatcher handle, task
//!   handles and promises on them, the tasks of a `walk()`, result rows and
//!   values read while they arrive.

#![warn(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

mod api;
mod r;
mod serial;
mod tasks;

use api::{
    dashboard as api_dashboard, dispatcher as api_dispatcher, metrics as api_metrics,
    process as api_process, roster as api_roster, signal as api_signal, tls as api_tls,
    util as api_util, worker as api_worker,
};
use extendr_api::prelude::*;

extendr_module! {
    mod crew;
    use api_dashboard;
    use api_dispatcher;
    use api_metrics;
    use api_process;
    use api_roster;
    use api_signal;
    use api_tls;
    use api_util;
    use api_worker;
}

/// Registers extendr's functions and the raw entry points in one table
/// (R keeps only the last table a package registers).
///
/// # Safety
/// Called once by R when it loads the package, with the package's DllInfo.
#[no_mangle]
pub unsafe extern "C" fn R_init_crew_routines(info: *mut extendr_api::DllInfo) {
    let mut metadata = get_crew_metadata();
    api::routines::add_to(&mut metadata);
    extendr_api::register_call_methods(info, metadata);
}
