//! What `push()` hands the binding: the checks of its arguments, made in
//! the order and with the words of the R-level checks, and the task list a
//! worker runs, serialized. Reading R values here costs nanoseconds, so a
//! push pays for its checks nothing it would notice.

use crate::r::ffi::{Rf_ScalarLogical, Rf_getAttrib};
use crate::r::ffi::{Rf_allocVector, INTEGER, LOGICAL, REAL, SET_VECTOR_ELT, SEXP, SEXPTYPE};
use crate::r::sexp::{self, Protect};
use crate::serial;
use crate::tasks::source_references::{command_without_sources, list_without_sources};
use std::time::Duration;

/// The fields of the task list a worker runs, in order: the one statement
/// of what a task carries. R asks for them (`native_task_rules()`) and
/// builds the template of a `walk()` through [`task_list`] too.
pub const TASK_FIELDS: [&str; 11] = [
    "command",
    "data",
    "globals",
    "seed",
    "algorithm",
    "packages",
    "library",
    "reset_globals",
    "reset_packages",
    "reset_options",
    "garbage_collection",
];

thread_local! {
    static TASK_FIELD_NAMES: SEXP = sexp::preserved_strings(&TASK_FIELDS);
}

/// The names of the task fields as a character vector kept for the whole
/// session.
pub fn task_field_names() -> SEXP {
    TASK_FIELD_NAMES.with(|f| *f)
}

/// The longest task name (R's limit on variable names, since the controller
/// keeps names in environments). The one place this limit is written: R
/// asks for it (`native_task_rules()`) for the checks of its careful path
/// and of `walk()`.
pub const TASK_NAME_BYTES_MAX: usize = 10_000;

/// The error of a task name longer than [`TASK_NAME_BYTES_MAX`]; R asks
/// for these words too.
pub fn task_name_too_long() -> String {
    format!("task names must have at most {TASK_NAME_BYTES_MAX} bytes.")
}

pub fn is_flag(x: SEXP) -> bool {
    sexp::type_of(x) == SEXPTYPE::LGLSXP
        && sexp::len(x) == 1
        // SAFETY: `x` is a logical vector of length one (checked first).
        && unsafe { *LOGICAL(x) } != sexp::na_int()
}

pub fn flag(x: SEXP) -> bool {
    // SAFETY: callers check `is_flag(x)` first: a logical vector of length one.
    unsafe { *LOGICAL(x) == 1 }
}

/// R's `is_named()` for a list: no names needed when empty, otherwise
/// names that are all present, nonempty and distinct.
fn is_named_list(x: SEXP) -> bool {
    if sexp::type_of(x) != SEXPTYPE::VECSXP {
        return false;
    }
    let n = sexp::len(x);
    if n == 0 {
        return true;
    }
    // SAFETY: `x` is a live list; reading its names allocates nothing.
    let names = unsafe { Rf_getAttrib(x, sexp::names_symbol()) };
    if sexp::type_of(names) != SEXPTYPE::STRSXP || sexp::len(names) != n {
        return false;
    }
    let mut seen: Vec<&str> = Vec::with_capacity(n);
    for i in 0..n {
        match sexp::string_elt(&names, i) {
            Some(name) if !name.is_empty() && !seen.contains(&name) => seen.push(name),
            _ => return false,
        }
    }
    true
}

fn is_number(x: SEXP) -> bool {
    match sexp::type_of(x) {
        SEXPTYPE::INTSXP => {
            // SAFETY: `x` is a live integer vector.
            let factor = unsafe { crate::r::ffi::Rf_isFactor(x) } == crate::r::ffi::Rboolean::TRUE;
            // SAFETY: `x` is an integer vector of length one (checked first).
            !factor && sexp::len(x) == 1 && unsafe { *INTEGER(x) } != sexp::na_int()
        }
        // SAFETY: `x` is a double vector of length one (checked first).
        SEXPTYPE::REALSXP => sexp::len(x) == 1 && !unsafe { *REAL(x) }.is_nan(),
        _ => false,
    }
}

fn is_strings_without_na(x: SEXP) -> bool {
    sexp::type_of(x) == SEXPTYPE::STRSXP
        // SAFETY: `x` is a character vector and `i` is below its length.
        && (0..sexp::len(x)).all(|i| unsafe {
            crate::r::ffi::STRING_ELT(x, i as isize) != crate::r::ffi::R_NaString
        })
}

/// The checks `push()` makes before anything is queued, in the order and
/// with the words of the R-level checks. R owns these rules (its
/// `task_spec()` and `controller_task_arguments_check()` are what users
/// meet on every other path); this copy exists so that push's fast path
/// costs one native call, and a test in `test-validation.R` feeds both the
/// same wrong values and compares their messages.
pub fn check_task(arguments: &TaskArguments) -> Result<(), &'static str> {
    if !is_flag(arguments.scale) {
        return Err("scale must be TRUE or FALSE.");
    }
    if !is_flag(arguments.throttle) {
        return Err("throttle must be TRUE or FALSE.");
    }
    if !is_named_list(arguments.data) {
        return Err("data must be a named list.");
    }
    if !is_named_list(arguments.globals) {
        return Err("globals must be a named list.");
    }
    if !sexp::is_nil(arguments.seed) && !is_number(arguments.seed) {
        return Err("seed must be NULL or a non-missing number.");
    }
    if !sexp::is_nil(arguments.algorithm)
        && sexp::scalar_string(&arguments.algorithm).is_none_or(|a| a.is_empty())
    {
        return Err("algorithm must be NULL or a nonempty character string.");
    }
    if !is_strings_without_na(arguments.packages) {
        return Err("packages must be a character vector with no missing values.");
    }
    if !sexp::is_nil(arguments.library) && !is_strings_without_na(arguments.library) {
        return Err("library must be NULL or a character vector with no missing values.");
    }
    let timeout = arguments.seconds_timeout;
    if !sexp::is_nil(timeout) {
        let ok = matches!(sexp::type_of(timeout), SEXPTYPE::INTSXP | SEXPTYPE::REALSXP)
            && is_number(timeout)
            && seconds(timeout).is_some_and(|s| s >= 0.0);
        if !ok {
            return Err("seconds_timeout must be NULL or a nonnegative number.");
        }
    }
    Ok(())
}

pub fn seconds(x: SEXP) -> Option<f64> {
    match sexp::type_of(x) {
        // SAFETY: `x` is a double vector of length one (checked by the guard).
        SEXPTYPE::REALSXP if sexp::len(x) == 1 => Some(unsafe { *REAL(x) }),
        SEXPTYPE::INTSXP if sexp::len(x) == 1 => {
            // SAFETY: `x` is an integer vector of length one (checked by the
            // guard).
            let v = unsafe { *INTEGER(x) };
            (v != sexp::na_int()).then_some(v as f64)
        }
        _ => None,
    }
}

pub fn timeout(x: SEXP) -> Option<Duration> {
    seconds(x).and_then(crew_core::duration::limit)
}

pub struct TaskArguments {
    pub command: SEXP,
    pub data: SEXP,
    pub globals: SEXP,
    pub seed: SEXP,
    pub algorithm: SEXP,
    pub packages: SEXP,
    pub library: SEXP,
    pub resets: [bool; 4],
    pub seconds_timeout: SEXP,
    pub scale: SEXP,
    pub throttle: SEXP,
}

/// TRUE or FALSE (R's shared constants, nothing allocated).
fn logical(value: bool) -> SEXP {
    // SAFETY: R's shared TRUE or FALSE: nothing is allocated.
    unsafe { Rf_ScalarLogical(value as i32) }
}

/// The task list a worker runs, fields named by [`TASK_FIELDS`], without
/// source references, unprotected: the caller protects it. The task's
/// name is not part of it: it rides in the frame header, so a fresh name
/// can be chosen after the task is serialized.
pub fn task_list(arguments: &TaskArguments) -> SEXP {
    let mut protect = Protect::new();
    // SAFETY: allocates on R's main thread; the result is protected or returned
    // before anything else allocates.
    let task =
        protect.keep(unsafe { Rf_allocVector(SEXPTYPE::VECSXP, TASK_FIELDS.len() as isize) });
    // In the order of TASK_FIELDS, which also sets how many there are: a
    // field added there and not here does not compile.
    let fields: [SEXP; TASK_FIELDS.len()] = [
        protect.keep(command_without_sources(arguments.command)),
        protect.keep(list_without_sources(arguments.data)),
        protect.keep(list_without_sources(arguments.globals)),
        arguments.seed,
        arguments.algorithm,
        arguments.packages,
        arguments.library,
        logical(arguments.resets[0]),
        logical(arguments.resets[1]),
        logical(arguments.resets[2]),
        logical(arguments.resets[3]),
    ];
    for (i, field) in fields.into_iter().enumerate() {
        // SAFETY: `task` is a protected list of 11 elements and `i < 11`; the
        // fields are arguments of this call or R's shared constants.
        unsafe { SET_VECTOR_ELT(task, i as isize, field) };
    }
    sexp::set_names(task, task_field_names());
    task
}

/// The serialized task a worker runs (see [`task_list`]).
pub fn serialized_task(arguments: &TaskArguments) -> Result<Vec<u8>, String> {
    let mut protect = Protect::new();
    let task = protect.keep(task_list(arguments));
    serial::serialize_sexp(task)
}
