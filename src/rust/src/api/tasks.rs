//! Tasks as a controller sees them: push, take (pop, collect, map), task
//! handles, waiting and cancelling. These run once per task, so they are
//! plain `.Call` entry points on raw R objects (see `r/sexp.rs`), registered
//! in `api/routines.rs`, and each says what it costs.
//!
//! Each takes the controller's dispatcher handle, an external pointer made
//! by `wrap__native_dispatcher_handle` (see `tasks/dispatcher_handles.rs`),
//! instead of looking the profile up.

use crate::r::convert::Waited;
use crate::r::ffi::{
    Rf_ScalarInteger, Rf_allocVector, INTEGER, LOGICAL, SET_VECTOR_ELT, SEXP, SEXPTYPE, VECTOR_ELT,
};
use crate::r::records::{
    closed_record, core_error, error_record, interrupt_record, invalid_argument, with_guard,
};
use crate::r::sexp::{self, Protect};
use crate::serial;
use crate::tasks::arguments::{
    check_task, flag, is_flag, seconds, serialized_task, task_name_too_long, timeout,
    TaskArguments, TASK_NAME_BYTES_MAX,
};
use crate::tasks::dispatcher_handles::{dispatcher, dispatcher_ref};
use crate::tasks::early_values::wait_reading;
use crate::tasks::handles as task_handles;
use crate::tasks::result_rows::rows;
use crew_core::dispatcher::{Cells, Tally};
use crew_core::Error;
use std::sync::Arc;
use std::time::Duration;

use crate::r::ffi::Rf_ScalarLogical;
use crate::tasks::walk_items::{Column, Names, WalkItems};

thread_local! {
    /// Names of the columns of `summary()`'s counts.
    static SUMMARY_NAMES: SEXP = sexp::preserved_strings(&[
        "seconds", "success", "error", "crash", "cancel", "warning",
    ]);
}

/// The error record of a failed push. A duplicate name reads as the core
/// words it (`Error::DuplicateName`), the one place that message is
/// written.
fn push_error(error: Error) -> SEXP {
    match error {
        Error::ProfileNotRunning(_) => closed_record(),
        other => core_error(&other),
    }
}

/// Checks, serializes and queues one task: `push()`'s one native call.
/// Returns the task's handle, an error record for a wrong argument, or a
/// "closed" record if the dispatcher has stopped. Cost: the checks take
/// nanoseconds; the rest is R's serialize of the task (about 3 us for a
/// small one), one lock, the handle (1 us) and, if a worker can take the
/// task now, one write to its socket.
#[no_mangle]
pub extern "C" fn wrap__native_push(
    dispatcher_handle: SEXP,
    command: SEXP,
    name: SEXP,
    data: SEXP,
    globals: SEXP,
    seed: SEXP,
    algorithm: SEXP,
    packages: SEXP,
    library: SEXP,
    seconds_timeout: SEXP,
    scale: SEXP,
    throttle: SEXP,
) -> SEXP {
    with_guard(|| {
        let d = match dispatcher_ref(&dispatcher_handle) {
            Ok(d) => d,
            Err(record) => return record,
        };
        let arguments = TaskArguments {
            command,
            data,
            globals,
            seed,
            algorithm,
            packages,
            library,
            resets: d.resets,
            seconds_timeout,
            scale,
            throttle,
        };
        if let Err(message) = check_task(&arguments) {
            return invalid_argument(message);
        }
        let name = if sexp::is_nil(name) {
            None
        } else {
            match sexp::scalar_string(&name) {
                Some(name) if name.len() > TASK_NAME_BYTES_MAX => {
                    return invalid_argument(&task_name_too_long())
                }
                Some(name) if !name.is_empty() => Some(name),
                _ => return invalid_argument("name must be NULL or a nonempty character string."),
            }
        };
        let payload = match serialized_task(&arguments) {
            Ok(payload) => payload,
            Err(error) => {
                return error_record(
                    "serialization",
                    &format!("the task could not be serialized: {error}"),
                )
            }
        };
        let (cells, index, owner) = d.cells.next(dispatcher_handle, d.controller, &d.hooks);
        let mut protect = Protect::new();
        protect.keep(owner);
        match d.dispatcher.push(
            name,
            payload,
            timeout(seconds_timeout),
            Some((&cells, index)),
        ) {
            Ok(name) => task_handles::handle(owner, index, sexp::charsxp(&name)),
            Err(error) => push_error(error),
        }
    })
}

fn string_vector(values: &[Arc<str>]) -> SEXP {
    let mut protect = Protect::new();
    let out = protect.keep(sexp::strings(values.len()));
    for (i, value) in values.iter().enumerate() {
        sexp::set_string(out, i, sexp::charsxp(value));
    }
    out
}

/// Queues the tasks of one `walk()` as a batch: `shared` (the task template
/// and the names of the columns of `iterate`) is serialized once and sent
/// once to each worker; each task keeps only its elements of `columns` (a
/// list of plain vectors and lists, one per column of `iterate`) and its
/// seed from `seeds` (integer vector or NULL). Tasks are named by `names`
/// (a character vector) or `<prefix>_1`, `<prefix>_2`, ... Everything is
/// checked and copied before any task is queued, so a column that cannot
/// be serialized leaves nothing half-submitted. Returns a list of handles
/// named by task name (with `handles = TRUE`) or the task names.
#[no_mangle]
pub extern "C" fn wrap__native_walk(
    dispatcher_handle: SEXP,
    shared: SEXP,
    columns: SEXP,
    names: SEXP,
    prefix: SEXP,
    seeds: SEXP,
    seconds_timeout: SEXP,
    handles_wanted: SEXP,
) -> SEXP {
    with_guard(|| {
        let (d, controller, hooks) = match dispatcher_ref(&dispatcher_handle) {
            Ok(d) => (&d.dispatcher, d.controller, d.hooks.clone()),
            Err(record) => return record,
        };
        let items = match walk_items(columns, names, prefix, seeds) {
            Ok(items) => items,
            Err(message) => return invalid_argument(&message),
        };
        let shared = match serial::serialize_sexp(shared) {
            Ok(bytes) => bytes,
            Err(error) => {
                return error_record(
                    "serialization",
                    &format!("the task could not be serialized: {error}"),
                )
            }
        };
        let n = items.n;
        let numbered = matches!(items.names, Names::Numbered(_));
        let wants_handles = is_flag(handles_wanted) && flag(handles_wanted);
        let cells = match d.push_batch(
            shared,
            Box::new(items),
            timeout(seconds_timeout),
            wants_handles,
        ) {
            Ok(cells) => cells,
            Err(error) => return push_error(error),
        };
        let mut protect = Protect::new();
        let task_names = if numbered {
            let prefix = sexp::scalar_string(&prefix).unwrap_or_default();
            let out = protect.keep(sexp::strings(n));
            for i in 0..n {
                sexp::set_string(out, i, sexp::charsxp(&format!("{prefix}_{}", i + 1)));
            }
            out
        } else {
            names
        };
        if !wants_handles {
            return task_names;
        }
        match cells {
            Some(cells) => task_handles::handles(cells, task_names, controller, hooks),
            None => task_names,
        }
    })
}

/// Copies the columns, names and seeds of a walk out of R.
fn walk_items(columns: SEXP, names: SEXP, prefix: SEXP, seeds: SEXP) -> Result<WalkItems, String> {
    if sexp::type_of(columns) != SEXPTYPE::VECSXP || sexp::len(columns) == 0 {
        return Err("columns must be a nonempty list".into());
    }
    // SAFETY: `columns` is a nonempty list (checked above).
    let n = sexp::len(unsafe { VECTOR_ELT(columns, 0) });
    let mut out = Vec::with_capacity(sexp::len(columns));
    for j in 0..sexp::len(columns) {
        // SAFETY: `j` is below the length of the list `columns`.
        let column = unsafe { VECTOR_ELT(columns, j as isize) };
        if sexp::len(column) != n {
            return Err("all elements of iterate must have the same length".into());
        }
        out.push(Column::from_sexp(column)?);
    }
    let names = match sexp::type_of(names) {
        SEXPTYPE::STRSXP if sexp::len(names) == n => Names::given(
            (0..n)
                .map(|i| sexp::string_elt(&names, i).map(Box::from))
                .collect::<Option<Vec<_>>>()
                .ok_or("task names must not be missing")?,
        ),
        SEXPTYPE::NILSXP => Names::Numbered(
            sexp::scalar_string(&prefix)
                .ok_or("prefix must be a string")?
                .to_string(),
        ),
        _ => return Err("names must be NULL or one name per task".into()),
    };
    let seeds = match sexp::type_of(seeds) {
        SEXPTYPE::INTSXP if sexp::len(seeds) == n => {
            // SAFETY: `seeds` is an integer vector of length `n` and `i < n`.
            Some((0..n).map(|i| unsafe { *INTEGER(seeds).add(i) }).collect())
        }
        SEXPTYPE::NILSXP => None,
        _ => return Err("seeds must be NULL or one integer per task".into()),
    };
    Ok(WalkItems {
        n,
        names,
        columns: out,
        seeds,
    })
}

/// Removes resolved tasks from the dispatcher and returns them as result
/// rows (see [`rows`]): the named ones if `names` is a character vector,
/// otherwise up to `max` of them, oldest first. `controller` names the
/// controller for rows that no worker wrote.
#[no_mangle]
pub extern "C" fn wrap__native_take(dispatcher_handle: SEXP, names: SEXP, max: SEXP) -> SEXP {
    with_guard(|| {
        let (d, controller, early) = match dispatcher_ref(&dispatcher_handle) {
            Ok(d) => (&d.dispatcher, d.controller, &d.early),
            Err(record) => return record,
        };
        if d.is_closed() {
            return closed_record();
        }
        let taken = if sexp::type_of(names) == SEXPTYPE::STRSXP {
            let names: Vec<String> = (0..sexp::len(names))
                .filter_map(|i| sexp::string_elt(&names, i).map(str::to_string))
                .collect();
            d.take(&names)
        } else {
            let max = seconds(max).filter(|m| *m >= 0.0).map_or(usize::MAX, |m| {
                if m.is_finite() {
                    m as usize
                } else {
                    usize::MAX
                }
            });
            d.take_resolved(max)
        };
        let mut tally = Tally::default();
        let out = rows(&taken, controller, Some(&mut tally), Some(early));
        d.tally().absorb(&tally);
        out
    })
}

/// The totals of the rows taken from the dispatcher so far: `list(seconds,
/// success, error, crash, cancel, warning)`, as `summary()` reports them.
#[no_mangle]
pub extern "C" fn wrap__native_summary(dispatcher_handle: SEXP) -> SEXP {
    with_guard(|| {
        let d = match dispatcher(&dispatcher_handle) {
            Ok(d) => d,
            Err(record) => return record,
        };
        let tally = *d.tally();
        // SAFETY: allocates on R's main thread; the result is protected or
        // returned before anything else allocates.
        let count = |x: u64| unsafe { Rf_ScalarInteger(x.min(i32::MAX as u64) as i32) };
        let mut protect = Protect::new();
        // SAFETY: allocates on R's main thread; the result is protected or
        // returned before anything else allocates.
        let out = protect.keep(unsafe { Rf_allocVector(SEXPTYPE::VECSXP, 6) });
        let values = [
            // SAFETY: allocates on R's main thread; the result is protected or
            // returned before anything else allocates.
            protect.keep(unsafe { crate::r::ffi::Rf_ScalarReal(tally.seconds) }),
            protect.keep(count(tally.success)),
            protect.keep(count(tally.error)),
            protect.keep(count(tally.crash)),
            protect.keep(count(tally.cancel)),
            protect.keep(count(tally.warning)),
        ];
        for (i, value) in values.into_iter().enumerate() {
            // SAFETY: `out` is a protected list of 6 elements and `i < 6`.
            unsafe { SET_VECTOR_ELT(out, i as isize, value) };
        }
        sexp::set_names(out, SUMMARY_NAMES.with(|n| *n));
        out
    })
}

/// Handles on every task the dispatcher holds, named by task, oldest
/// first: `controller$tasks`.
#[no_mangle]
pub extern "C" fn wrap__native_task_handles(dispatcher_handle: SEXP) -> SEXP {
    with_guard(|| {
        let (d, controller, hooks) = match dispatcher_ref(&dispatcher_handle) {
            Ok(d) => (&d.dispatcher, d.controller, d.hooks.clone()),
            Err(record) => return record,
        };
        let names = d.names();
        let mut protect = Protect::new();
        // SAFETY: allocates on R's main thread; the result is protected or
        // returned before anything else allocates.
        let out = protect.keep(unsafe { Rf_allocVector(SEXPTYPE::VECSXP, names.len() as isize) });
        let mut kept = Vec::with_capacity(names.len());
        // Tasks of one walk share their cells, and so one owner.
        let mut last: Option<(Arc<Cells>, SEXP)> = None;
        let mut owners = Protect::new();
        for name in &names {
            let Some((cells, index)) = d.cell(name) else {
                continue;
            };
            let owner = match &last {
                Some((kept_cells, owner)) if Arc::ptr_eq(kept_cells, &cells) => *owner,
                _ => {
                    let owner = owners.keep(task_handles::owner(
                        cells.clone(),
                        controller,
                        hooks.clone(),
                    ));
                    last = Some((cells, owner));
                    owner
                }
            };
            let handle = task_handles::handle(owner, index, sexp::charsxp(name));
            // SAFETY: `out` is a protected list as long as `names`, and fewer
            // handles than names are kept.
            unsafe { SET_VECTOR_ELT(out, kept.len() as isize, handle) };
            kept.push(name.clone());
        }
        let out = if kept.len() < names.len() {
            // SAFETY: `out` is protected and `kept` is not longer than it; the
            // shorter copy is protected at once.
            protect.keep(unsafe { crate::r::ffi::Rf_xlengthgets(out, kept.len() as isize) })
        } else {
            out
        };
        sexp::set_names(out, protect.keep(string_vector(&kept)));
        out
    })
}

/// How many tasks the dispatcher holds (pushed, not yet taken).
#[no_mangle]
pub extern "C" fn wrap__native_size(dispatcher_handle: SEXP) -> SEXP {
    with_guard(|| match dispatcher(&dispatcher_handle) {
        // SAFETY: allocates on R's main thread; the result is protected or
        // returned before anything else allocates.
        Ok(d) => unsafe { Rf_ScalarInteger(d.size().min(i32::MAX as usize) as i32) },
        Err(record) => record,
    })
}

/// For each name, whether a task of that name is held.
#[no_mangle]
pub extern "C" fn wrap__native_holds(dispatcher_handle: SEXP, names: SEXP) -> SEXP {
    with_guard(|| {
        let d = match dispatcher(&dispatcher_handle) {
            Ok(d) => d,
            Err(record) => return record,
        };
        let n = if sexp::type_of(names) == SEXPTYPE::STRSXP {
            sexp::len(names)
        } else {
            0
        };
        // Protected: reading a name that is not UTF-8 makes R allocate.
        let mut protect = Protect::new();
        // SAFETY: allocates on R's main thread; the result is protected or
        // returned before anything else allocates.
        let out = protect.keep(unsafe { Rf_allocVector(SEXPTYPE::LGLSXP, n as isize) });
        for i in 0..n {
            let held = sexp::string_elt(&names, i).is_some_and(|name| d.holds(name));
            // SAFETY: `out` is a logical vector of length `n` and `i < n`.
            unsafe { *LOGICAL(out).add(i) = held as i32 };
        }
        out
    })
}

/// Waits up to `seconds` until no task is queued or running (`any =
/// FALSE`) or some task is resolved and not yet taken (`any = TRUE`), in
/// slices that let Ctrl-C through. TRUE if the condition holds.
#[no_mangle]
pub extern "C" fn wrap__native_wait(
    dispatcher_handle: SEXP,
    any: SEXP,
    seconds_wait: SEXP,
) -> SEXP {
    with_guard(|| {
        let (d, early) = match dispatcher_ref(&dispatcher_handle) {
            Ok(d) => (&d.dispatcher, &d.early),
            Err(record) => return record,
        };
        let any = is_flag(any) && flag(any);
        let total = seconds(seconds_wait).and_then(crew_core::duration::limit);
        let waited =
            crate::r::convert::wait_sliced(total, |slice| wait_reading(d, early, any, slice));
        match waited {
            // SAFETY: R's shared TRUE: nothing is allocated.
            Waited::Done(()) => unsafe { Rf_ScalarLogical(1) },
            // SAFETY: R's shared TRUE or FALSE: nothing is allocated.
            Waited::TimedOut => unsafe { Rf_ScalarLogical(d.wait_for(any, Duration::ZERO) as i32) },
            Waited::Interrupted => interrupt_record(),
        }
    })
}

/// Cancels the named tasks (or all); returns how many were cancelled.
#[no_mangle]
pub extern "C" fn wrap__native_cancel(dispatcher_handle: SEXP, names: SEXP, all: SEXP) -> SEXP {
    with_guard(|| {
        let d = match dispatcher(&dispatcher_handle) {
            Ok(d) => d,
            Err(record) => return record,
        };
        let names: Vec<String> = if sexp::type_of(names) == SEXPTYPE::STRSXP {
            (0..sexp::len(names))
                .filter_map(|i| sexp::string_elt(&names, i).map(str::to_string))
                .collect()
        } else {
            Vec::new()
        };
        let all = is_flag(all) && flag(all);
        // SAFETY: allocates on R's main thread; the result is protected or
        // returned before anything else allocates.
        unsafe { Rf_ScalarInteger(d.cancel(&names, all).min(i32::MAX as usize) as i32) }
    })
}
