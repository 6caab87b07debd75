//! The controller's handle on its dispatcher: an external pointer made by
//! `wrap__native_dispatcher_handle`, which the per-task entry points take
//! instead of looking the compute profile up, and which carries what every
//! task of the controller shares.

use crate::early_values::EarlyValues;
use crate::records::{core_error, invalid_argument, with_guard};
use crate::serial_hooks::{self, Hooks};
use crate::sexp;
use crate::task_arguments::{flag, is_flag};
use crate::task_handles;
use crew_core::dispatcher::Dispatcher;
use crew_core::registry;
use extendr_ffi::{SEXP, SEXPTYPE};
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
        unsafe { extendr_ffi::R_ReleaseObject(self.controller) };
    }
}

thread_local! {
    static DISPATCHER_TAG: SEXP = sexp::symbol(c"crew_dispatcher_handle");
}

/// The dispatcher behind a handle, or the error record to return: for a
/// value that is not such a handle, or in a forked child (the runtime's
/// threads do not survive fork(), so the dispatcher cannot be used there).
pub fn dispatcher<'a>(x: SEXP) -> Result<&'a Arc<Dispatcher>, SEXP> {
    dispatcher_ref(x).map(|d| &d.dispatcher)
}

/// The handle behind `x`, whose serialization hooks it makes the ones in
/// force (every entry point that serializes tasks or reads results starts
/// here).
pub fn dispatcher_ref<'a>(x: SEXP) -> Result<&'a DispatcherRef, SEXP> {
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
        let Some(d) = sexp::scalar_string(profile).and_then(registry::get) else {
            return sexp::nil();
        };
        let controller = single_string(controller);
        unsafe { extendr_ffi::R_PreserveObject(controller) };
        let handle = DispatcherRef {
            dispatcher: d,
            resets: [
                is_flag(reset_globals) && flag(reset_globals),
                is_flag(reset_packages) && flag(reset_packages),
                is_flag(reset_options) && flag(reset_options),
                is_flag(garbage_collection) && flag(garbage_collection),
            ],
            controller,
            cells: task_handles::CellArena::default(),
            hooks,
            early: EarlyValues::default(),
        };
        let tag = DISPATCHER_TAG.with(|t| *t);
        sexp::external(handle, tag, true)
    })
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

/// The raw entry point of this module, for registration.
pub fn routines() -> Vec<(&'static str, *const u8, usize)> {
    vec![(
        "wrap__native_dispatcher_handle",
        wrap__native_dispatcher_handle as *const u8,
        7,
    )]
}
