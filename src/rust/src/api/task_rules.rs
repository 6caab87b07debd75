//! The rules of tasks that the native side owns and R reads once, at load
//! (`R/task_rules.R`): the task fields, the result columns, the longest
//! task name with its message, walk()'s task template, and the message of
//! a name already in use. Registered in `api/routines.rs`.

use crate::r::ffi::{Rf_ScalarInteger, Rf_allocVector, SET_VECTOR_ELT, SEXP, SEXPTYPE};
use crate::r::records::with_guard;
use crate::r::sexp::{self, Protect};
use crate::tasks::arguments::{
    task_field_names, task_list, task_name_too_long, TaskArguments, TASK_NAME_BYTES_MAX,
};
use crate::tasks::dispatcher_handles::dispatcher_ref;
use crate::tasks::result_rows::RESULT_COLUMNS;
use crew_core::Error;

/// The rules of tasks that R asks for once and keeps (see
/// `R/task_rules.R`): `list(task_fields, result_columns,
/// task_name_bytes_max, task_name_too_long)`. Called once, at load.
#[no_mangle]
pub extern "C" fn wrap__native_task_rules() -> SEXP {
    with_guard(|| {
        let mut protect = Protect::new();
        // SAFETY: allocates on R's main thread; kept protected until returned.
        let out = protect.keep(unsafe { Rf_allocVector(SEXPTYPE::VECSXP, 4) });
        let columns = protect.keep(sexp::strings(RESULT_COLUMNS.len()));
        for (i, column) in RESULT_COLUMNS.iter().enumerate() {
            sexp::set_string(columns, i, sexp::charsxp(column));
        }
        // SAFETY: allocates on R's main thread; kept protected until returned.
        let limit = protect
            .keep(unsafe { Rf_ScalarInteger(TASK_NAME_BYTES_MAX.min(i32::MAX as usize) as i32) });
        // SAFETY: `out` is a protected list of four elements; each element set
        // is protected or, as task_field_names()'s vector, set before anything
        // else allocates.
        unsafe {
            SET_VECTOR_ELT(out, 0, task_field_names());
            SET_VECTOR_ELT(out, 1, columns);
            SET_VECTOR_ELT(out, 2, limit);
        }
        let too_long = protect.keep(sexp::string(&task_name_too_long()));
        // SAFETY: `out` is a protected list of four elements and `too_long` is
        // protected.
        unsafe { SET_VECTOR_ELT(out, 3, too_long) };
        let fields = [
            "task_fields",
            "result_columns",
            "task_name_bytes_max",
            "task_name_too_long",
        ];
        let names = protect.keep(sexp::strings(fields.len()));
        for (i, name) in fields.iter().enumerate() {
            sexp::set_string(names, i, sexp::charsxp(name));
        }
        sexp::set_names(out, names);
        out
    })
}

/// The task list a worker runs, as `push()` serializes it, with the
/// dispatcher's reset settings: `walk()`'s template, built once per walk.
#[no_mangle]
pub extern "C" fn wrap__native_task(
    dispatcher_handle: SEXP,
    command: SEXP,
    data: SEXP,
    globals: SEXP,
    seed: SEXP,
    algorithm: SEXP,
    packages: SEXP,
    library: SEXP,
) -> SEXP {
    with_guard(|| {
        let d = match dispatcher_ref(&dispatcher_handle) {
            Ok(d) => d,
            Err(record) => return record,
        };
        let nil = sexp::nil();
        task_list(&TaskArguments {
            command,
            data,
            globals,
            seed,
            algorithm,
            packages,
            library,
            resets: d.resets,
            seconds_timeout: nil,
            scale: nil,
            throttle: nil,
        })
    })
}

/// The error of a task name already held, in the core's words, for the
/// checks R makes itself (a backup's crash count, the sequential
/// controller).
#[no_mangle]
pub extern "C" fn wrap__native_duplicate_name(name: SEXP) -> SEXP {
    with_guard(|| {
        let name = sexp::scalar_string(&name).unwrap_or("NA").to_string();
        sexp::string(&Error::DuplicateName(name).to_string())
    })
}
