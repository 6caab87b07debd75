//! Promises on task handles that settle without polling. `as.promise()` on
//! a handle registers a waker on the handle's cell; when the outcome
//! arrives, the thread that resolved the task asks `later` (through its
//! thread-safe C interface, `execLaterNative2`) to run a callback on R's
//! main thread, which calls `task_promise_settle(id)` in this package's
//! namespace. Nothing runs in R while tasks are pending.

use crate::records::{error_record, with_guard};
use crate::sexp;
use extendr_ffi::{R_PreserveObject, R_tryEval, REAL, SEXP, SEXPTYPE};
use std::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;

type Callback = extern "C" fn(*mut c_void);
type Later = unsafe extern "C" fn(Callback, *mut c_void, f64, c_int);

#[allow(improper_ctypes)]
extern "C" {
    fn R_GetCCallable(package: *const c_char, name: *const c_char) -> *const c_void;
    fn R_FindNamespace(info: SEXP) -> SEXP;
    fn Rf_lang2(function: SEXP, argument: SEXP) -> SEXP;
}

/// `later`'s scheduling function, looked up on R's main thread (R only
/// allows the lookup there) the first time a promise is made; the
/// function itself may be called from any thread.
static LATER: OnceLock<usize> = OnceLock::new();

thread_local! {
    /// `task_promise_settle` and the package namespace, kept for the
    /// callbacks, which run on R's main thread.
    static SETTLE: (SEXP, SEXP) = unsafe {
        let namespace = R_FindNamespace(sexp::string("crew"));
        R_PreserveObject(namespace);
        (sexp::symbol(c"task_promise_settle"), namespace)
    };
}

fn later() -> Option<Later> {
    let address = *LATER.get_or_init(|| unsafe {
        R_GetCCallable(c"later".as_ptr(), c"execLaterNative2".as_ptr()) as usize
    });
    (address != 0).then(|| unsafe { std::mem::transmute::<usize, Later>(address) })
}

/// Runs on R's main thread from `later`'s loop: settles promise `id`.
extern "C" fn settle(data: *mut c_void) {
    let id = data as usize as f64;
    SETTLE.with(|(function, namespace)| unsafe {
        let mut protect = sexp::Protect::new();
        let argument = protect.keep(sexp_real(id));
        let call = protect.keep(Rf_lang2(*function, argument));
        let mut failed: c_int = 0;
        // Errors are handled in R; a failure here must not unwind through
        // later's loop.
        R_tryEval(call, *namespace, &mut failed);
    });
}

unsafe fn sexp_real(x: f64) -> SEXP {
    crate::sexp::ffi::Rf_ScalarReal(x)
}

/// Watches the task of `handle` for promise `id` (a positive whole number):
/// TRUE if the promise will settle when the outcome arrives, FALSE if the
/// task has resolved already (R settles the promise at once).
#[no_mangle]
pub extern "C" fn wrap__native_task_watch(handle: SEXP, id: SEXP) -> SEXP {
    with_guard(|| {
        let Some((cells, index)) = crate::task_handles::cell_of(handle) else {
            return error_record("x must be a task handle of this package");
        };
        if sexp::type_of(id) != SEXPTYPE::REALSXP || sexp::len(id) != 1 {
            return error_record("id must be a number");
        }
        let id = unsafe { *REAL(id) };
        if !(id >= 1.0 && id.fract() == 0.0 && id < (1u64 << 52) as f64) {
            return error_record("id must be a positive whole number");
        }
        let Some(later) = later() else {
            return error_record("the later package's C interface is not available");
        };
        // Finds the namespace now, so the callback has it ready.
        SETTLE.with(|_| {});
        let data = id as usize;
        let watching = cells.watch(
            index,
            Box::new(move || unsafe { later(settle, data as *mut c_void, 0.0, 0) }),
        );
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
