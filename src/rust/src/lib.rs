//! The R binding of the crew core: conversions only. Every function here is
//! called from `R/native.R`, runs on R's main thread, never raises an R
//! error for an expected failure (it returns an error record instead), and
//! waits in short slices so that Ctrl-C always works.
//!
//! Most entry points are extendr functions. The ones taken once per task
//! (`api_tasks.rs`, the worker loop in `api_worker.rs`) are plain `.Call`
//! functions on raw R objects, registered here beside extendr's.

mod api_autoscale;
mod api_dispatcher;
mod api_metrics;
mod api_process;
mod api_signal;
mod api_tasks;
mod api_tls;
mod api_util;
mod api_worker;
mod convert;
mod dispatcher_handles;
mod early_values;
mod idle_collection;
mod interrupts;
mod later_loop;
mod records;
mod result_rows;
mod serial;
mod serial_format;
mod serial_hooks;
mod serial_read;
mod serial_write;
mod sexp;
mod signal_handles;
mod task_arguments;
mod task_handles;
mod task_promises;
mod walk_items;

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
    let raw = api_tasks::routines()
        .into_iter()
        .chain(dispatcher_handles::routines())
        .chain(api_autoscale::routines())
        .chain(api_worker::routines())
        .chain(task_handles::routines())
        .chain(task_promises::routines());
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
