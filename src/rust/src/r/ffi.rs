//! R's C API as this crate sees it: the one place that names R's functions
//! and variables. Most come from `extendr_ffi` and are re-exported here;
//! the rest, which `extendr_ffi` does not declare (or declares only for
//! some R versions), are declared below, each once. Every other module
//! imports R's API from here, so a reader finds every R symbol the crate
//! links against in this file.
//!
//! Calling any of these is `unsafe`: R's API may only be used from R's main
//! thread, on objects R keeps alive (protected, preserved, or reachable
//! from an argument of the current `.Call`).

use std::ffi::{c_char, c_int, c_void};

pub use extendr_ffi::{
    cetype_t, R_ClearExternalPtr, R_ExternalPtrAddr, R_ExternalPtrProtected, R_ExternalPtrTag,
    R_MakeExternalPtr, R_NaInt, R_NaReal, R_NaString, R_NilValue, R_PreserveObject,
    R_RegisterCFinalizerEx, R_ReleaseObject, R_Serialize, R_SetExternalPtrProtected, R_Unserialize,
    R_inpstream_st, R_inpstream_t, R_outpstream_st, R_outpstream_t, R_pstream_format_t, R_tryEval,
    Rboolean, Rf_ScalarInteger, Rf_allocVector, Rf_cons, Rf_duplicate, Rf_install, Rf_isFactor,
    Rf_lcons, Rf_mkCharLenCE, Rf_protect, Rf_setAttrib, Rf_unprotect, Rf_xlength, Rf_xlengthgets,
    INTEGER, LOGICAL, RAW, REAL, SET_STRING_ELT, SET_VECTOR_ELT, SEXP, SEXPTYPE, STRING_ELT,
    TYPEOF, VECTOR_ELT,
};

/// The callbacks of R's serialization streams and their hooks.
pub type InChar = Option<unsafe extern "C" fn(R_inpstream_t) -> c_int>;
pub type InBytes = Option<unsafe extern "C" fn(R_inpstream_t, *mut c_void, c_int)>;
pub type OutChar = Option<unsafe extern "C" fn(R_outpstream_t, c_int)>;
pub type OutBytes = Option<unsafe extern "C" fn(R_outpstream_t, *mut c_void, c_int)>;
pub type Hook = Option<unsafe extern "C" fn(SEXP, SEXP) -> SEXP>;

#[allow(improper_ctypes)]
extern "C" {
    // Evaluation, errors and interrupts.
    /// Runs `fun(data)`, catching any R error or interrupt (long jump)
    /// inside it; returns 0 if one happened.
    pub fn R_ToplevelExec(
        fun: Option<unsafe extern "C" fn(*mut c_void)>,
        data: *mut c_void,
    ) -> c_int;
    pub fn R_tryEvalSilent(expr: SEXP, env: SEXP, error: *mut c_int) -> SEXP;
    pub fn R_curErrorBuf() -> *const c_char;
    pub fn Rf_error(format: *const c_char, ...) -> !;
    pub fn R_CheckUserInterrupt();
    pub static mut R_interrupts_pending: c_int;
    pub fn R_gc();

    // Packages and namespaces.
    pub fn R_GetCCallable(package: *const c_char, name: *const c_char) -> *const c_void;
    pub fn R_FindNamespace(info: SEXP) -> SEXP;

    // Constructors and attributes.
    pub fn Rf_ScalarLogical(x: c_int) -> SEXP;
    pub fn Rf_ScalarReal(x: f64) -> SEXP;
    pub fn Rf_mkString(text: *const c_char) -> SEXP;
    pub fn Rf_lang2(function: SEXP, argument: SEXP) -> SEXP;
    pub fn Rf_getAttrib(x: SEXP, name: SEXP) -> SEXP;
    pub fn Rf_inherits(x: SEXP, class: *const c_char) -> Rboolean;
    pub fn Rf_translateCharUTF8(x: SEXP) -> *const c_char;
    pub fn R_MakeWeakRef(key: SEXP, value: SEXP, finalizer: SEXP, onexit: c_int) -> SEXP;
    pub fn R_WeakRefKey(weak: SEXP) -> SEXP;

    // Symbols and R's special objects.
    pub static R_NamesSymbol: SEXP;
    pub static R_ClassSymbol: SEXP;
    pub static R_RowNamesSymbol: SEXP;
    pub static R_GlobalEnv: SEXP;
    pub static R_EmptyEnv: SEXP;
    pub static R_BaseEnv: SEXP;
    pub static R_UnboundValue: SEXP;
    pub static R_MissingArg: SEXP;
    pub static R_BaseNamespace: SEXP;

    // Serialization streams.
    pub fn R_InitOutPStream(
        stream: R_outpstream_t,
        data: *mut c_void,
        format: R_pstream_format_t,
        version: c_int,
        out_char: OutChar,
        out_bytes: OutBytes,
        hook: Hook,
        hook_data: SEXP,
    );
    pub fn R_InitInPStream(
        stream: R_inpstream_t,
        data: *mut c_void,
        format: R_pstream_format_t,
        in_char: InChar,
        in_bytes: InBytes,
        hook: Hook,
        hook_data: SEXP,
    );

    // Object internals, read and written by the serialization format's
    // own reader and writer.
    pub fn LEVELS(x: SEXP) -> c_int;
    pub fn SETLEVELS(x: SEXP, v: c_int) -> c_int;
    pub fn OBJECT(x: SEXP) -> c_int;
    pub fn SET_OBJECT(x: SEXP, v: c_int);
    pub fn ALTREP(x: SEXP) -> c_int;
    pub fn IS_S4_OBJECT(x: SEXP) -> c_int;
    pub fn IS_LONG_VEC(x: SEXP) -> c_int;
    pub fn LENGTH(x: SEXP) -> c_int;
    pub fn ATTRIB(x: SEXP) -> SEXP;
    pub fn SET_ATTRIB(x: SEXP, v: SEXP);
    pub fn PRINTNAME(x: SEXP) -> SEXP;
    pub fn TAG(x: SEXP) -> SEXP;
    pub fn SET_TAG(x: SEXP, v: SEXP);
    pub fn CAR(x: SEXP) -> SEXP;
    pub fn SETCAR(x: SEXP, v: SEXP) -> SEXP;
    pub fn CDR(x: SEXP) -> SEXP;
    pub fn SETCDR(x: SEXP, v: SEXP) -> SEXP;
    pub fn SET_BODY(x: SEXP, v: SEXP);
    pub fn Rf_shallow_duplicate(x: SEXP) -> SEXP;
    pub fn DATAPTR(x: SEXP) -> *mut u8;
    pub fn R_CHAR(x: SEXP) -> *const u8;
}

#[cfg(windows)]
extern "C" {
    /// R's user-break flag on Windows, which its event processing turns
    /// into an interrupt.
    pub static mut UserBreak: c_int;
}
