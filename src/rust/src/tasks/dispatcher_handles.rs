//! The controller's handle on its dispatcher: an external pointer made for
//! `wrap__native_dispatcher_handle` (see `api/handles.rs`), which the
//! per-task entry points take instead of looking the compute profile up,
//! and which carries what every task of the controller shares.

use crate::r::ffi::{SEXP, SEXPTYPE};
use crate::r::records::{core_error, invalid_argument};
use crate::r::sexp;
use crate::serial::hooks::{self as serial_hooks, Hooks};
use crate::tasks::early_values::EarlyValues;
use crate::tasks::handles as task_handles;
use crew_core::dispatcher::Dispatcher;
use std::rc::Rc;
use std::sync::Arc;

/// A controller's hold on its dispatcher, with what every task of the
/// controller shares: its four reset settings and its name (a character
/// vector kept from the garbage collector for as long as this lives).
pub struct DispatcherRef {
    pub dispatcher: Arc<Dispatcher>,
    pub resets: [bool; 4],
    pub controller: SEXP,
    pub cells: task_handles::CellArena,
    pub hooks: Option<Rc<Hooks>>,
    pub early: EarlyValues,
}

impl Drop for DispatcherRef {
    fn drop(&mut self) {
        // Dropped by the handle's finalizer, on R's thread.
        // SAFETY: dropped by the handle's finalizer on R's thread; `controller`
        // was preserved when the handle was made.
        unsafe { crate::r::ffi::R_ReleaseObject(self.controller) };
    }
}

thread_local! {
    static DISPATCHER_TAG: SEXP = sexp::symbol(c"crew_dispatcher_handle");
}

/// The dispatcher behind a handle, or the error record to return: for a
/// value that is not such a handle, or in a forked child (the runtime's
/// threads do not survive fork(), so the dispatcher cannot be used there).
pub fn dispatcher(x: &SEXP) -> Result<&Arc<Dispatcher>, SEXP> {
    dispatcher_ref(x).map(|d| &d.dispatcher)
}

/// The handle behind `x`, whose serialization hooks it makes the ones in
/// force (every entry point that serializes tasks or reads results starts
/// here).
pub fn dispatcher_ref(x: &SEXP) -> Result<&DispatcherRef, SEXP> {
    let tag = DISPATCHER_TAG.with(|t| *t);
    let d = sexp::external_ref::<DispatcherRef>(x, tag).ok_or_else(|| {
        invalid_argument(
            "dispatcher must be the dispatcher handle of a started controller of this package",
        )
    })?;
    crew_core::runtime::check_not_forked().map_err(|e| core_error(&e))?;
    serial_hooks::use_hooks(d.hooks.clone());
    Ok(d)
}

/// A new handle on `dispatcher` for a controller named `controller` (a
/// string, or anything else for NA) with these reset settings and
/// serialization hooks.
pub fn new_handle(
    dispatcher: Arc<Dispatcher>,
    resets: [bool; 4],
    controller: SEXP,
    hooks: Option<Rc<Hooks>>,
) -> SEXP {
    let controller = single_string(controller);
    // SAFETY: kept until the handle drops and releases it.
    unsafe { crate::r::ffi::R_PreserveObject(controller) };
    let handle = DispatcherRef {
        dispatcher,
        resets,
        controller,
        cells: task_handles::CellArena::default(),
        hooks,
        early: EarlyValues::default(),
    };
    let tag = DISPATCHER_TAG.with(|t| *t);
    sexp::external(handle, tag, true)
}

/// `x` if it is a string, NA otherwise.
fn single_string(x: SEXP) -> SEXP {
    if sexp::type_of(x) == SEXPTYPE::STRSXP && sexp::len(x) == 1 {
        x
    } else {
        let out = sexp::strings(1);
        sexp::set_string(out, 0, sexp::charsxp_or_na(None));
        out
    }
}
