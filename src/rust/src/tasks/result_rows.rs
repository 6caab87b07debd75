//! Resolved tasks as crew's result tibbles, built column by column in one
//! pass: what `pop()`, `collect()`, `map()` and a task handle's `$data`
//! return.

use crate::r::ffi::Rf_ScalarLogical;
use crate::r::ffi::{Rf_allocVector, Rf_setAttrib, INTEGER, REAL, SET_VECTOR_ELT, SEXP, SEXPTYPE};
use crate::r::sexp::{self, Protect};
use crate::serial;
use crate::tasks::early_values::EarlyValues;
use crew_core::dispatcher::{Outcome, Taken, Tally};
use crew_core::incoming::Payload;
use crew_core::protocol::{codes, Seed};

/// The 12 columns of crew's result rows, in order: the one statement of
/// them. R asks for them (`native_task_rules()`) as `monad_names`.
pub const RESULT_COLUMNS: [&str; 12] = [
    "name",
    "command",
    "result",
    "status",
    "error",
    "code",
    "trace",
    "warnings",
    "seconds",
    "seed",
    "algorithm",
    "controller",
];

struct Constants {
    columns: SEXP,
    class: SEXP,
    pids: SEXP,
}

thread_local! {
    static CONSTANTS: Constants = Constants {
        columns: sexp::preserved_strings(&RESULT_COLUMNS),
        class: sexp::preserved_strings(&["tbl_df", "tbl", "data.frame"]),
        pids: sexp::symbol(c"crew_pids"),
    };
}

/// Which rows to build: the texts of each row, decided before any R object
/// is made.
struct RowText {
    status: &'static str,
    error: Option<String>,
    code: i32,
}

fn row_text(outcome: &Outcome) -> RowText {
    match &outcome.meta {
        Some(meta) => RowText {
            status: match &*meta.status {
                "success" => "success",
                "cancel" => "cancel",
                "crash" => "crash",
                _ => "error",
            },
            error: meta.error().map(str::to_string),
            code: outcome.code,
        },
        None => RowText {
            status: codes::status(outcome.code),
            error: codes::error(outcome.code),
            code: outcome.code,
        },
    }
}

/// Resolved tasks as a result tibble with the 12 columns of crew's result
/// rows. Values are unserialized here; one that cannot be read turns its
/// row into an error rather than failing the whole batch. Rows of tasks
/// that no worker finished get their status and error from the code and
/// `controller` as their controller. If any crashed task names the process
/// of its worker, the tibble carries an attribute `crew_pids` (one integer
/// per row, NA elsewhere) for R to say how that process ended.
/// Cost: about a microsecond per row, most of it the value.
pub fn rows(
    taken: &[Taken],
    controller: SEXP,
    mut tally: Option<&mut Tally>,
    early: Option<&EarlyValues>,
) -> SEXP {
    let n = taken.len();
    let mut protect = Protect::new();
    let column = |protect: &mut Protect, kind: SEXPTYPE| {
        // SAFETY: allocates on R's main thread; the result is protected or
        // returned before anything else allocates.
        protect.keep(unsafe { Rf_allocVector(kind, n as isize) })
    };
    let name = column(&mut protect, SEXPTYPE::STRSXP);
    let command = column(&mut protect, SEXPTYPE::STRSXP);
    let result = column(&mut protect, SEXPTYPE::VECSXP);
    let status = column(&mut protect, SEXPTYPE::STRSXP);
    let error = column(&mut protect, SEXPTYPE::STRSXP);
    let code = column(&mut protect, SEXPTYPE::INTSXP);
    let trace = column(&mut protect, SEXPTYPE::STRSXP);
    let warnings = column(&mut protect, SEXPTYPE::STRSXP);
    let seconds = column(&mut protect, SEXPTYPE::REALSXP);
    let doubles = taken.iter().any(|t| {
        matches!(
            t.outcome.meta.as_ref().map(|m| m.seed()),
            Some(Seed::Double(_))
        )
    });
    let seed = column(
        &mut protect,
        if doubles {
            SEXPTYPE::REALSXP
        } else {
            SEXPTYPE::INTSXP
        },
    );
    let algorithm = column(&mut protect, SEXPTYPE::STRSXP);
    let controllers = column(&mut protect, SEXPTYPE::STRSXP);
    // SAFETY: `controller` is the controller's name, a character vector of
    // length one.
    let controller = unsafe { crate::r::ffi::STRING_ELT(controller, 0) };
    let mut pids: Option<SEXP> = None;
    let mut last_command: Option<(&str, SEXP)> = None;
    let mut last_controller: Option<(&str, SEXP)> = None;
    let mut last_status: Option<(&str, SEXP)> = None;
    for (i, t) in taken.iter().enumerate() {
        let outcome = &t.outcome;
        let mut text = row_text(outcome);
        let value = match (&outcome.meta, &outcome.payload) {
            (Some(_), payload) if payload.is_empty() => {
                // SAFETY: R's shared logical NA: nothing is allocated.
                Ok(unsafe { Rf_ScalarLogical(sexp::na_int()) })
            }
            (Some(_), Payload::Whole(bytes)) => serial::unserialize_sexp(bytes),
            (Some(_), Payload::Arriving(incoming)) => early
                .and_then(|early| early.take(incoming))
                .map_or_else(|| serial::unserialize_arriving(incoming), Ok),
            // SAFETY: R's shared logical NA: nothing is allocated.
            (None, _) => Ok(unsafe { Rf_ScalarLogical(sexp::na_int()) }),
        };
        let value = value.unwrap_or_else(|problem| {
            text = RowText {
                status: "error",
                error: Some(format!("could not read the task's value: {problem}")),
                code: -1,
            };
            // SAFETY: R's shared logical NA: nothing is allocated.
            unsafe { Rf_ScalarLogical(sexp::na_int()) }
        });
        // SAFETY: `result` is a protected list of `n` elements and `i < n`.
        unsafe { SET_VECTOR_ELT(result, i as isize, value) };
        if let Some(tally) = tally.as_deref_mut() {
            let meta = outcome.meta.as_ref();
            tally.add(
                text.status,
                meta.is_some_and(|m| m.warnings().is_some()),
                meta.and_then(|m| m.seconds),
            );
        }
        sexp::set_string(name, i, sexp::charsxp(&t.name));
        let status_value = match last_status {
            Some((before, value)) if before == text.status => value,
            _ => {
                let value = sexp::charsxp(text.status);
                last_status = Some((text.status, value));
                value
            }
        };
        sexp::set_string(status, i, status_value);
        sexp::set_string(error, i, sexp::charsxp_or_na(text.error.as_deref()));
        // SAFETY: `code` is an integer vector of `n` elements and `i < n`.
        unsafe { *INTEGER(code).add(i) = text.code };
        let meta = outcome.meta.as_ref();
        let command_text = meta.and_then(|m| m.command.as_deref());
        let command_value = match (command_text, last_command) {
            (Some(now), Some((before, value))) if now == before => value,
            (Some(now), _) => {
                let value = sexp::charsxp(now);
                last_command = Some((now, value));
                value
            }
            (None, _) => sexp::charsxp_or_na(None),
        };
        sexp::set_string(command, i, command_value);
        sexp::set_string(trace, i, sexp::charsxp_or_na(meta.and_then(|m| m.trace())));
        sexp::set_string(
            warnings,
            i,
            sexp::charsxp_or_na(meta.and_then(|m| m.warnings())),
        );
        // SAFETY: `seconds` is a double vector of `n` elements and `i < n`.
        unsafe {
            *REAL(seconds).add(i) = meta.and_then(|m| m.seconds).unwrap_or(sexp::na_real());
        }
        let seed_value = meta.map_or(Seed::Missing, |m| m.seed());
        // SAFETY: `seed` is a double or integer vector (as `doubles` says) of
        // `n` elements and `i < n`.
        unsafe {
            if doubles {
                *REAL(seed).add(i) = match seed_value {
                    Seed::Double(x) => x,
                    Seed::Integer(x) => x as f64,
                    Seed::Missing => sexp::na_real(),
                };
            } else {
                *INTEGER(seed).add(i) = match seed_value {
                    Seed::Integer(x) => x,
                    _ => sexp::na_int(),
                };
            }
        }
        sexp::set_string(
            algorithm,
            i,
            sexp::charsxp_or_na(meta.and_then(|m| m.algorithm())),
        );
        let controller_value = match meta {
            Some(m) => match (m.controller.as_deref(), last_controller) {
                (Some(now), Some((before, value))) if now == before => value,
                (Some(now), _) => {
                    let value = sexp::charsxp(now);
                    last_controller = Some((now, value));
                    value
                }
                (None, _) => sexp::charsxp_or_na(None),
            },
            None => controller,
        };
        sexp::set_string(controllers, i, controller_value);
        if let (Some(pid), true) = (
            outcome.worker_pid,
            outcome.code == crew_core::dispatcher::CODE_CRASH,
        ) {
            let pids = *pids.get_or_insert_with(|| {
                // SAFETY: allocates on R's main thread; the result is protected
                // or returned before anything else allocates.
                let all = protect.keep(unsafe { Rf_allocVector(SEXPTYPE::INTSXP, n as isize) });
                for j in 0..n {
                    // SAFETY: `all` is an integer vector of `n` elements and `j
                    // < n`.
                    unsafe { *INTEGER(all).add(j) = sexp::na_int() };
                }
                all
            });
            // SAFETY: `pids` is an integer vector of `n` elements and `i < n`.
            unsafe { *INTEGER(pids).add(i) = i32::try_from(pid).unwrap_or(sexp::na_int()) };
        }
    }
    // In the order of RESULT_COLUMNS, which also sets how many there are:
    // a column added there and not here does not compile.
    // SAFETY: allocates on R's main thread; the result is protected or returned
    // before anything else allocates.
    let out =
        protect.keep(unsafe { Rf_allocVector(SEXPTYPE::VECSXP, RESULT_COLUMNS.len() as isize) });
    let columns: [SEXP; RESULT_COLUMNS.len()] = [
        name,
        command,
        result,
        status,
        error,
        code,
        trace,
        warnings,
        seconds,
        seed,
        algorithm,
        controllers,
    ];
    for (i, column) in columns.into_iter().enumerate() {
        // SAFETY: `out` is a protected list of 12 elements and `i < 12`.
        unsafe { SET_VECTOR_ELT(out, i as isize, column) };
    }
    // SAFETY: `out` and the columns are protected; `row_names` is protected as
    // soon as it is made and has the 2 elements written when `n > 0`.
    CONSTANTS.with(|c| unsafe {
        sexp::set_names(out, c.columns);
        let row_names = protect.keep(Rf_allocVector(SEXPTYPE::INTSXP, if n > 0 { 2 } else { 0 }));
        if n > 0 {
            *INTEGER(row_names) = sexp::na_int();
            *INTEGER(row_names).add(1) = -(n as i32);
        }
        Rf_setAttrib(out, sexp::row_names_symbol(), row_names);
        sexp::set_class(out, c.class);
        if let Some(pids) = pids {
            Rf_setAttrib(out, c.pids, pids);
        }
    });
    out
}
