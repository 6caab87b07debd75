//! The R binding of the crew core: conversions only. Every function here is
//! called from `R/native.R`, runs on R's main thread, never raises an R
//! error for an expected failure (it returns an error record instead), and
//! waits in short slices so that Ctrl-C always works.
//!
//! Most entry points are extendr functions. The ones taken once per task
//! (`api_tasks.rs`, the worker loop in `api_worker.rs`) are plain `.Call`
//! functions on raw R objects, registered here beside extendr's.

mod api;
mod r;
mod serial;
mod tasks;

use api::{
    dispatcher as api_dispatcher, metrics as api_metrics, process as api_process,
    signal as api_signal, tls as api_tls, util as api_util, worker as api_worker,
};
use extendr_api::prelude::*;

extendr_module! {
    mod crew;
    use api_dispatcher;
    use api_metrics;
    use api_process;
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
    let raw = api::tasks::routines()
        .into_iter()
        .chain(tasks::dispatcher_handles::routines())
        .chain(api::autoscale::routines())
        .chain(api_worker::routines())
        .chain(tasks::handles::routines())
        .chain(tasks::promises::routines());
    for (name, func_ptr, arity) in raw {
        metadata.functions.push(extendr_api::metadata::Func {
            doc: "",
            rust_name: name,
            mod_name: name,
            r_name: name,
            c_name: name,
            args: (0..arity)
                .map(|_| extendr_api::metadata::Arg {
                    name: "x",
                    arg_type: "SEXP",
                    default: None,
                })
                .collect(),
            return_type: "SEXP",
            func_ptr,
            hidden: true,
            invisible: None,
        });
    }
    extendr_api::register_call_methods(info, metadata);
}
