//! Promises on task handles that settle without polling. `as.promise()` on
//! a handle registers a waker on the handle's cell; when the outcome
//! arrives, the thread that resolved the task schedules (see
//! `r/later_loop.rs`) a call of `task_promise_settle(id)` on R's main thread.

use crate::r::ffi::SEXP;
use crate::r::later_loop::{call_in_namespace, Scheduler};
use crate::r::sexp;
use crew_core::dispatcher::Cells;
use std::ffi::c_void;

thread_local! {
    static SETTLE: SEXP = sexp::symbol(c"task_promise_settle");
}

/// Runs on R's main thread from `later`'s loop: settles promise `id`.
extern "C" fn settle(data: *mut c_void) {
    SETTLE.with(|function| call_in_namespace(*function, data as usize as f64));
}

/// Has promise `id` settle when the outcome of cell `index` of `cells`
/// arrives: true if it will, false if the task has resolved already (R
/// then settles the promise at once).
pub fn watch(cells: &Cells, index: usize, id: usize, scheduler: Scheduler) -> bool {
    SETTLE.with(|_| {});
    cells.watch(index, Box::new(move || scheduler.schedule(settle, id, 0)))
}
