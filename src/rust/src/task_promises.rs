//! Promises on task handles that settle without polling. `as.promise()` on
//! a handle registers a waker on the handle's cell; when the outcome
//! arrives, the thread that resolved the task schedules (see
//! `later_loop.rs`) a call of `task_promise_settle(id)` on R's main thread.

use crate::later_loop::{self, call_in_namespace, whole_number};
use crate::records::{error_record, invalid_argument, with_guard};
use crate::sexp;
use extendr_ffi::SEXP;
use std::ffi::{c_int, c_void};

thread_local! {
    static SETTLE: SEXP = sexp::symbol(c"task_promise_settle");
}

/// Runs on R's main thread from `later`'s loop: settles promise `id`.
extern "C" fn settle(data: *mut c_void) {
    SETTLE.with(|function| call_in_namespace(*function, data as usize as f64));
}

/// Watches the task of `handle` for promise `id` (a positive whole number):
/// TRUE if the promise will settle when the outcome arrives, FALSE if the
/// task has resolved already (R settles the promise at once).
#[no_mangle]
pub extern "C" fn wrap__native_task_watch(handle: SEXP, id: SEXP) -> SEXP {
    with_guard(|| {
        let Some((cells, index)) = crate::task_handles::cell_of(handle) else {
            return invalid_argument("x must be a task handle of this package");
        };
        let Some(id) = whole_number(id) else {
            return invalid_argument("id must be a positive whole number");
        };
        let Some(scheduler) = later_loop::scheduler() else {
            return error_record(
                "runtime",
                "the later package's C interface is not available",
            );
        };
        SETTLE.with(|_| {});
        let watching = cells.watch(index, Box::new(move || scheduler.schedule(settle, id, 0)));
        unsafe { crate::sexp::ffi::Rf_ScalarLogical(c_int::from(watching)) }
    })
}

pub fn routines() -> Vec<(&'static str, *const u8, usize)> {
    vec![(
        "wrap__native_task_watch",
        wrap__native_task_watch as *const u8,
        2,
    )]
}
