//! Source references left out of what a task carries. Code parsed with
//! `keep.source = TRUE` (every interactive session, RStudio, testthat)
//! carries `srcref` attributes whose `srcfile` environment holds every line
//! of the file or console input it came from. A command captured there,
//! or a function defined there and given in `data` or `globals`, would
//! take the whole file to the worker with every task: hundreds of
//! kilobytes for a one-line command. The worker runs the code the same
//! without them, as code parsed with `keep.source = FALSE` is.
//!
//! The user's objects are never changed: a command or function that has
//! source references is copied, and the copy stripped. One that has none,
//! the common case, is checked in a walk over its few cells and passed on.

use crate::r::ffi::{
    R_BaseEnv, R_tryEvalSilent, Rf_duplicate, Rf_lang2, Rf_setAttrib, Rf_shallow_duplicate, ATTRIB,
    CAR, CDR, SETCAR, SET_BODY, SET_VECTOR_ELT, SEXP, SEXPTYPE, TAG, VECTOR_ELT,
};
use crate::r::sexp::{self, Protect};

/// Deeper code is passed on as it is rather than walked.
const DEPTH_MAX: usize = 2_000;

/// The symbols the walks compare against, looked up once per session
/// (symbols are never collected): every push walks its task.
#[derive(Clone, Copy)]
struct Symbols {
    /// The attributes the parser attaches to code it keeps the source of.
    attributes: [SEXP; 3],
    function: SEXP,
}

thread_local! {
    static SYMBOLS: Symbols = Symbols {
        attributes: [
            sexp::symbol(c"srcref"),
            sexp::symbol(c"srcfile"),
            sexp::symbol(c"wholeSrcref"),
        ],
        function: sexp::symbol(c"function"),
    };
}

fn source_symbols() -> Symbols {
    SYMBOLS.with(|symbols| *symbols)
}

/// `command` without source references: itself if it has none, otherwise
/// a stripped copy (unprotected: the caller protects it).
pub fn command_without_sources(command: SEXP) -> SEXP {
    code_without_sources(command, &source_symbols())
}

/// `code` itself if it has no source references, otherwise a stripped
/// copy (unprotected).
fn code_without_sources(code: SEXP, symbols: &Symbols) -> SEXP {
    if !code_has_sources(code, symbols, 0) {
        return code;
    }
    let mut protect = Protect::new();
    // SAFETY: R's main thread; the caller keeps `code` alive.
    let copy = protect.keep(unsafe { Rf_duplicate(code) });
    strip_code(copy, symbols, 0);
    copy
}

/// `list` (the `data` or `globals` of a task) with each function that has
/// source references replaced by a stripped copy: itself if none has, else
/// a new list with the same names (unprotected: the caller protects it).
/// Only the list's own elements are looked at, not functions nested deeper.
pub fn list_without_sources(list: SEXP) -> SEXP {
    if sexp::type_of(list) != SEXPTYPE::VECSXP {
        return list;
    }
    let symbols = source_symbols();
    let n = sexp::len(list);
    // SAFETY: `i < n`, the length of the list.
    let has = |i: usize| closure_has_sources(unsafe { VECTOR_ELT(list, i as isize) }, &symbols);
    if !(0..n).any(has) {
        return list;
    }
    let mut protect = Protect::new();
    // SAFETY: R's main thread. A shallow copy: a new list with copied
    // attributes whose elements are shared until replaced below.
    let copy = protect.keep(unsafe { Rf_shallow_duplicate(list) });
    for i in (0..n).filter(|&i| has(i)) {
        // SAFETY: `i < n`; `copy` is protected, and so is the new element
        // until it is set.
        unsafe {
            let element = protect.keep(closure_without_sources(
                VECTOR_ELT(list, i as isize),
                &symbols,
            ));
            SET_VECTOR_ELT(copy, i as isize, element);
        }
    }
    copy
}

fn is_source_symbol(tag: SEXP, symbols: &Symbols) -> bool {
    symbols.attributes.contains(&tag)
}

fn attributes_have_sources(x: SEXP, symbols: &Symbols) -> bool {
    // SAFETY: R's main thread; `x` is reachable from an argument.
    let mut cell = unsafe { ATTRIB(x) };
    while sexp::type_of(cell) == SEXPTYPE::LISTSXP {
        // SAFETY: `cell` is a pairlist cell.
        unsafe {
            if is_source_symbol(TAG(cell), symbols) {
                return true;
            }
            cell = CDR(cell);
        }
    }
    false
}

fn remove_source_attributes(x: SEXP, symbols: &Symbols) {
    for symbol in &symbols.attributes {
        // SAFETY: `x` is a copy this module made; setting an attribute to
        // NULL removes it and allocates nothing.
        unsafe { Rf_setAttrib(x, *symbol, sexp::nil()) };
    }
}

/// The cell of `x` holding a source reference if `x` is a call to
/// `function` with one as its fourth element, as the parser writes it when
/// it keeps the source.
fn function_call_source(x: SEXP, symbols: &Symbols) -> Option<SEXP> {
    // SAFETY: `x` is a language cell; each CDR is read after checking that
    // the previous one is a pairlist cell.
    unsafe {
        if CAR(x) != symbols.function {
            return None;
        }
        let mut cell = x;
        for _ in 0..3 {
            cell = CDR(cell);
            if !matches!(sexp::type_of(cell), SEXPTYPE::LISTSXP | SEXPTYPE::LANGSXP) {
                return None;
            }
        }
        (!sexp::is_nil(CAR(cell))).then_some(cell)
    }
}

fn code_has_sources(x: SEXP, symbols: &Symbols, depth: usize) -> bool {
    if depth > DEPTH_MAX {
        return false;
    }
    match sexp::type_of(x) {
        SEXPTYPE::LANGSXP | SEXPTYPE::LISTSXP => {
            if attributes_have_sources(x, symbols)
                || (sexp::type_of(x) == SEXPTYPE::LANGSXP
                    && function_call_source(x, symbols).is_some())
            {
                return true;
            }
            let mut cell = x;
            while matches!(sexp::type_of(cell), SEXPTYPE::LANGSXP | SEXPTYPE::LISTSXP) {
                // SAFETY: `cell` is a pairlist or language cell.
                unsafe {
                    if code_has_sources(CAR(cell), symbols, depth + 1) {
                        return true;
                    }
                    cell = CDR(cell);
                }
            }
            false
        }
        SEXPTYPE::EXPRSXP => {
            attributes_have_sources(x, symbols)
                || (0..sexp::len(x)).any(|i| {
                    // SAFETY: `i` is below the expression vector's length.
                    let element = unsafe { VECTOR_ELT(x, i as isize) };
                    code_has_sources(element, symbols, depth + 1)
                })
        }
        _ => false,
    }
}

/// Strips a copy made by this module, in place.
fn strip_code(x: SEXP, symbols: &Symbols, depth: usize) {
    if depth > DEPTH_MAX {
        return;
    }
    match sexp::type_of(x) {
        SEXPTYPE::LANGSXP | SEXPTYPE::LISTSXP => {
            remove_source_attributes(x, symbols);
            if sexp::type_of(x) == SEXPTYPE::LANGSXP {
                if let Some(cell) = function_call_source(x, symbols) {
                    // SAFETY: `cell` is a cell of the copy.
                    unsafe { SETCAR(cell, sexp::nil()) };
                }
            }
            let mut cell = x;
            while matches!(sexp::type_of(cell), SEXPTYPE::LANGSXP | SEXPTYPE::LISTSXP) {
                // SAFETY: `cell` is a cell of the copy.
                unsafe {
                    strip_code(CAR(cell), symbols, depth + 1);
                    cell = CDR(cell);
                }
            }
        }
        SEXPTYPE::EXPRSXP => {
            remove_source_attributes(x, symbols);
            for i in 0..sexp::len(x) {
                // SAFETY: `i` is below the length of the copy.
                strip_code(unsafe { VECTOR_ELT(x, i as isize) }, symbols, depth + 1);
            }
        }
        _ => {}
    }
}

/// `body(f)`, read through R: a compiled function keeps its code inside
/// its byte code, which only R's own accessor reads back.
fn closure_body(f: SEXP) -> Option<SEXP> {
    let mut protect = Protect::new();
    // SAFETY: R's main thread; the call is protected while it runs and any
    // error is caught by R_tryEvalSilent.
    unsafe {
        let call = protect.keep(Rf_lang2(sexp::symbol(c"body"), f));
        let mut failed = 0;
        let body = R_tryEvalSilent(call, R_BaseEnv, &mut failed);
        (failed == 0).then_some(body)
    }
}

fn closure_has_sources(x: SEXP, symbols: &Symbols) -> bool {
    sexp::type_of(x) == SEXPTYPE::CLOSXP && attributes_have_sources(x, symbols)
}

/// A copy of the function `f` without its source reference and with its
/// code stripped (uncompiled: the worker compiles it again when it runs);
/// `f` itself if its code cannot be read.
fn closure_without_sources(f: SEXP, symbols: &Symbols) -> SEXP {
    let mut protect = Protect::new();
    let Some(body) = closure_body(f) else {
        return f;
    };
    protect.keep(body);
    let body = protect.keep(code_without_sources(body, symbols));
    // SAFETY: R's main thread. The duplicate of a function is a new function
    // object sharing formals, body and environment; `body` is protected.
    unsafe {
        let copy = protect.keep(Rf_duplicate(f));
        remove_source_attributes(copy, symbols);
        SET_BODY(copy, body);
        copy
    }
}
