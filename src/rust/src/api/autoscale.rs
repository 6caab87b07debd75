//! Autoscaling that sleeps while nothing changes: a controller's
//! autoscale loop asks its dispatcher to hear of the next task queued or
//! worker come or gone, and the dispatcher then schedules
//! `autoscale_wake(id)` on the loop (see `r/later_loop.rs`).

use crate::r::ffi::Rf_ScalarLogical;
use crate::r::ffi::{INTEGER, SEXP, SEXPTYPE};
use crate::r::later_loop;
use crate::r::records::{error_record, invalid_argument, with_guard};
use crate::r::sexp;
use crate::tasks::dispatcher_handles::dispatcher;

thread_local! {
    static AUTOSCALE_WAKE: SEXP = sexp::symbol(c"autoscale_wake");
}

/// Runs on R's main thread from a `later` loop: wakes autoscale loop `id`.
extern "C" fn autoscale_wake(data: *mut std::ffi::c_void) {
    AUTOSCALE_WAKE.with(|function| later_loop::call_in_namespace(*function, data as usize as f64));
}

/// Has `autoscale_wake(id)` run on later loop `loop_id` at the dispatcher's
/// next task queued or worker come or gone, once; TRUE when armed.
#[no_mangle]
pub extern "C" fn wrap__native_backlog_watch(
    dispatcher_handle: SEXP,
    id: SEXP,
    loop_id: SEXP,
) -> SEXP {
    with_guard(|| {
        let d = match dispatcher(&dispatcher_handle) {
            Ok(d) => d,
            Err(record) => return record,
        };
        let Some(id) = later_loop::whole_number(id) else {
            return invalid_argument("id must be a positive whole number");
        };
        if sexp::type_of(loop_id) != SEXPTYPE::INTSXP || sexp::len(loop_id) != 1 {
            return invalid_argument("loop_id must be the id of a later loop");
        }
        // SAFETY: `loop_id` is an integer vector of length one (checked above).
        let loop_id = unsafe { *INTEGER(loop_id) };
        let Some(scheduler) = later_loop::scheduler() else {
            return error_record(
                "runtime",
                "the later package's C interface is not available",
            );
        };
        AUTOSCALE_WAKE.with(|_| {});
        d.on_backlog_change(Box::new(move || {
            scheduler.schedule(autoscale_wake, id, loop_id)
        }));
        // SAFETY: R's shared TRUE: nothing is allocated.
        unsafe { Rf_ScalarLogical(1) }
    })
}
