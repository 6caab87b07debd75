//! The one table of the raw `.Call` entry points: every `wrap__native_*`
//! function that is not an extendr function is listed here, with its
//! number of arguments, and registered beside extendr's functions when R
//! loads the package (R keeps only the last table a package registers).
//! A raw entry point missing from this table cannot be called from R.

use super::{autoscale, handles, task_rules, tasks, worker};
use extendr_api::metadata::{Arg, Func, Metadata};

/// Name, function and number of arguments of every raw entry point.
fn routines() -> [(&'static str, *const u8, usize); 19] {
    [
        // Tasks as a controller sees them (api/tasks.rs).
        (
            "wrap__native_push",
            tasks::wrap__native_push as *const u8,
            12,
        ),
        (
            "wrap__native_walk",
            tasks::wrap__native_walk as *const u8,
            8,
        ),
        (
            "wrap__native_take",
            tasks::wrap__native_take as *const u8,
            3,
        ),
        (
            "wrap__native_summary",
            tasks::wrap__native_summary as *const u8,
            1,
        ),
        (
            "wrap__native_task_handles",
            tasks::wrap__native_task_handles as *const u8,
            1,
        ),
        (
            "wrap__native_size",
            tasks::wrap__native_size as *const u8,
            1,
        ),
        (
            "wrap__native_holds",
            tasks::wrap__native_holds as *const u8,
            2,
        ),
        (
            "wrap__native_wait",
            tasks::wrap__native_wait as *const u8,
            3,
        ),
        (
            "wrap__native_cancel",
            tasks::wrap__native_cancel as *const u8,
            3,
        ),
        (
            "wrap__native_task_rules",
            task_rules::wrap__native_task_rules as *const u8,
            0,
        ),
        (
            "wrap__native_task",
            task_rules::wrap__native_task as *const u8,
            8,
        ),
        (
            "wrap__native_duplicate_name",
            task_rules::wrap__native_duplicate_name as *const u8,
            1,
        ),
        // Handles (api/handles.rs).
        (
            "wrap__native_dispatcher_handle",
            handles::wrap__native_dispatcher_handle as *const u8,
            7,
        ),
        (
            "wrap__native_task_row",
            handles::wrap__native_task_row as *const u8,
            1,
        ),
        (
            "wrap__native_task_name",
            handles::wrap__native_task_name as *const u8,
            1,
        ),
        (
            "wrap__native_task_watch",
            handles::wrap__native_task_watch as *const u8,
            2,
        ),
        // Autoscaling (api/autoscale.rs).
        (
            "wrap__native_backlog_watch",
            autoscale::wrap__native_backlog_watch as *const u8,
            3,
        ),
        // The worker loop (api/worker.rs).
        (
            "wrap__native_worker_next",
            worker::wrap__native_worker_next as *const u8,
            2,
        ),
        (
            "wrap__native_worker_send",
            worker::wrap__native_worker_send as *const u8,
            4,
        ),
    ]
}

/// Adds the raw entry points to extendr's metadata, hidden from the R
/// wrappers extendr would generate, each taking plain SEXP arguments.
pub fn add_to(metadata: &mut Metadata) {
    for (name, func_ptr, arity) in routines() {
        metadata.functions.push(Func {
            doc: "",
            rust_name: name,
            mod_name: name,
            r_name: name,
            c_name: name,
            args: (0..arity)
                .map(|_| Arg {
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
}
