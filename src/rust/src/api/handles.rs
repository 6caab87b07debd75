//! Handles as R holds them: a controller's handle on its dispatcher, and
//! the task handles `push()` and `walk()` return (their row, their name,
//! and promises on them). Plain `.Call` entry points on raw R objects, since
//! the per-task paths take them; the handles themselves live in
//! `tasks/dispatcher_handles.rs` and `tasks/handles.rs`.

use crate::r::ffi::{Rf_ScalarLogical, SEXP};
use crate::r::later_loop::{self, whole_number};
use crate::r::records::{error_record, invalid_argument, with_guard};
use crate::r::sexp;
use crate::serial::hooks::Hooks;
use crate::tasks::arguments::{flag, is_flag};
use crate::tasks::{dispatcher_handles, handles, promises};
use crew_core::registry;
use std::ffi::c_int;

/// A controller's handle on the dispatcher of `profile`, carrying the
/// controller's reset settings, name and serialization settings (NULL or a
/// configuration list); NULL if no dispatcher runs.
#[no_mangle]
pub extern "C" fn wrap__native_dispatcher_handle(
    profile: SEXP,
    reset_globals: SEXP,
    reset_packages: SEXP,
    reset_options: SEXP,
    garbage_collection: SEXP,
    controller: SEXP,
    serialization: SEXP,
) -> SEXP {
    with_guard(|| {
        let hooks = match Hooks::from_config(serialization) {
            Ok(hooks) => hooks,
            Err(message) => return invalid_argument(&message),
        };
        let Some(d) = sexp::scalar_string(&profile).and_then(registry::get) else {
            return sexp::nil();
        };
        let resets = [
            is_flag(reset_globals) && flag(reset_globals),
            is_flag(reset_packages) && flag(reset_packages),
            is_flag(reset_options) && flag(reset_options),
            is_flag(garbage_collection) && flag(garbage_collection),
        ];
        dispatcher_handles::new_handle(d, resets, controller, hooks)
    })
}

fn not_a_handle() -> SEXP {
    invalid_argument("x must be a task handle of this package")
}

/// The result row of a handle's task, or NULL while it is unresolved.
#[no_mangle]
pub extern "C" fn wrap__native_task_row(x: SEXP) -> SEXP {
    with_guard(|| handles::row(x).unwrap_or_else(not_a_handle))
}

/// The name of a handle's task.
#[no_mangle]
pub extern "C" fn wrap__native_task_name(x: SEXP) -> SEXP {
    with_guard(|| handles::name(x).unwrap_or_else(not_a_handle))
}

/// Watches the task of `handle` for promise `id` (a positive whole number):
/// TRUE if the promise will settle when the outcome arrives, FALSE if the
/// task has resolved already (R settles the promise at once).
#[no_mangle]
pub extern "C" fn wrap__native_task_watch(handle: SEXP, id: SEXP) -> SEXP {
    with_guard(|| {
        let Some((cells, index)) = handles::cell_of(handle) else {
            return not_a_handle();
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
        let watching = promises::watch(&cells, index, id, scheduler);
        // SAFETY: R's shared TRUE or FALSE: nothing is allocated.
        unsafe { Rf_ScalarLogical(c_int::from(watching)) }
    })
}
