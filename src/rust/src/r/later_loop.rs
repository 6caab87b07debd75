//! Running R code from other threads through `later`'s event loops. The
//! thread that learns of something (a task resolved, a task queued) asks
//! `later`, through its thread-safe C interface `execLaterNative2`, to run
//! a callback on R's main thread; the callback calls a function of this
//! package's namespace with a number. Nothing runs in R until then.

use crate::r::ffi::{R_FindNamespace, R_GetCCallable, R_PreserveObject, R_tryEval, Rf_lang2, SEXP};
use crate::r::sexp;
use std::ffi::{c_int, c_void};
use std::sync::OnceLock;

pub type Callback = extern "C" fn(*mut c_void);
type Later = unsafe extern "C" fn(Callback, *mut c_void, f64, c_int);

/// `later`'s scheduling function, looked up on R's main thread (R only
/// allows the lookup there) the first time it is needed; the function
/// itself may be called from any thread.
static LATER: OnceLock<usize> = OnceLock::new();

thread_local! {
    /// The package namespace, where the callbacks' functions live.
    // SAFETY: first used on R's main thread; R_FindNamespace protects its
    // argument, and the namespace is preserved for the session.
    static NAMESPACE: SEXP = unsafe {
        let namespace = R_FindNamespace(sexp::string("crew"));
        R_PreserveObject(namespace);
        namespace
    };
}

/// The scheduler, once `later` is loaded; call on R's main thread first.
pub fn scheduler() -> Option<Scheduler> {
    // SAFETY: R's main thread (the first call comes from an entry point); both
    // names are NUL-terminated literals.
    let address = *LATER.get_or_init(|| unsafe {
        R_GetCCallable(c"later".as_ptr(), c"execLaterNative2".as_ptr()) as usize
    });
    // Finds the namespace now, so the callbacks have it ready.
    NAMESPACE.with(|_| {});
    // SAFETY: a nonzero address is `later`'s execLaterNative2, whose C
    // signature `Later` matches.
    (address != 0).then(|| Scheduler(unsafe { std::mem::transmute::<usize, Later>(address) }))
}

/// Schedules callbacks on a `later` loop from any thread.
#[derive(Clone, Copy)]
pub struct Scheduler(Later);

impl Scheduler {
    /// Runs `callback(data)` on R's main thread from loop `loop_id` as soon
    /// as that loop runs.
    pub fn schedule(&self, callback: Callback, data: usize, loop_id: c_int) {
        // SAFETY: `later` documents execLaterNative2 as callable from any
        // thread; `callback` runs later on R's main thread.
        unsafe { (self.0)(callback, data as *mut c_void, 0.0, loop_id) }
    }
}

/// Calls `function(number)` in the package namespace, on R's main thread.
/// Errors are left to that function: a failure here must not unwind
/// through later's loop.
pub fn call_in_namespace(function: SEXP, number: f64) {
    // SAFETY: R's main thread, from `later`'s loop; the call and its argument
    // are protected, and R_tryEval catches any error instead of jumping over
    // these frames.
    NAMESPACE.with(|namespace| unsafe {
        let mut protect = sexp::Protect::new();
        let argument = protect.keep(crate::r::ffi::Rf_ScalarReal(number));
        let call = protect.keep(Rf_lang2(function, argument));
        let mut failed: c_int = 0;
        R_tryEval(call, *namespace, &mut failed);
    });
}

/// A positive whole number below 2^52 (exact as a double), from R.
pub fn whole_number(x: SEXP) -> Option<usize> {
    if sexp::type_of(x) != crate::r::ffi::SEXPTYPE::REALSXP || sexp::len(x) != 1 {
        return None;
    }
    // SAFETY: `x` is a double vector of length one (checked above).
    let value = unsafe { *crate::r::ffi::REAL(x) };
    (value >= 1.0 && value.fract() == 0.0 && value < (1u64 << 52) as f64).then_some(value as usize)
}
