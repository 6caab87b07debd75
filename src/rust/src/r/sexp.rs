//! R objects built and read by hand, for the paths taken once per task
//! (push, pop, collect, the worker loop). extendr keeps a registry entry
//! for every object it wraps, which costs more than the whole operation
//! here; these helpers call R's C API directly instead.
//!
//! Everything here runs on R's main thread. Allocation can only fail when
//! R is out of memory; the objects a caller builds are protected with
//! [`Protect`] until they are handed to R.
//!
//! External pointers made here carry a tag symbol of this package and a
//! magic number, and are checked for both before use, so a pointer from
//! another package, a null pointer (an object saved and read back) or a
//! pointer of another kind is refused instead of followed.

use crate::r::ffi::{
    cetype_t, R_ClearExternalPtr, R_ExternalPtrAddr, R_ExternalPtrTag, R_MakeExternalPtr, R_NaInt,
    R_NaReal, R_NaString, R_NilValue, R_PreserveObject, R_RegisterCFinalizerEx, Rboolean,
    Rf_allocVector, Rf_install, Rf_mkCharLenCE, Rf_protect, Rf_setAttrib, Rf_unprotect, Rf_xlength,
    SET_STRING_ELT, SEXP, SEXPTYPE, STRING_ELT, TYPEOF,
};
use extendr_api::{GetSexp, Robj};
use std::ffi::{c_char, c_void, CStr};

use crate::r::ffi::{R_ClassSymbol, R_NamesSymbol, R_RowNamesSymbol, Rf_translateCharUTF8};

/// Protects R objects from the garbage collector until dropped.
pub struct Protect(i32);

impl Protect {
    pub fn new() -> Protect {
        Protect(0)
    }

    /// Protects `x` and returns it.
    pub fn keep(&mut self, x: SEXP) -> SEXP {
        self.0 += 1;
        // SAFETY: R's main thread; the count kept here unprotects exactly what
        // was protected.
        unsafe { Rf_protect(x) }
    }
}

impl Drop for Protect {
    fn drop(&mut self) {
        if self.0 > 0 {
            // SAFETY: unprotects the objects this guard protected, which are
            // the last ones on the stack as guards drop in reverse order.
            unsafe { Rf_unprotect(self.0) };
        }
    }
}

pub fn nil() -> SEXP {
    // SAFETY: reads R's NULL, set when R starts.
    unsafe { R_NilValue }
}

pub fn is_nil(x: SEXP) -> bool {
    x == nil()
}

pub fn type_of(x: SEXP) -> SEXPTYPE {
    // SAFETY: `x` is a live R object (the rule of this module).
    unsafe { TYPEOF(x) }
}

pub fn len(x: SEXP) -> usize {
    // SAFETY: `x` is a live vector (the rule of this module).
    unsafe { Rf_xlength(x) as usize }
}

pub fn na_int() -> i32 {
    // SAFETY: reads R's integer NA, set when R starts.
    unsafe { R_NaInt }
}

pub fn na_real() -> f64 {
    // SAFETY: reads R's double NA, set when R starts.
    unsafe { R_NaReal }
}

/// An interned symbol.
pub fn symbol(name: &CStr) -> SEXP {
    // SAFETY: `name` is NUL-terminated; symbols are never collected.
    unsafe { Rf_install(name.as_ptr()) }
}

pub fn names_symbol() -> SEXP {
    // SAFETY: reads R's `names` symbol, set when R starts.
    unsafe { R_NamesSymbol }
}

pub fn class_symbol() -> SEXP {
    // SAFETY: reads R's `class` symbol, set when R starts.
    unsafe { R_ClassSymbol }
}

pub fn row_names_symbol() -> SEXP {
    // SAFETY: reads R's `row.names` symbol, set when R starts.
    unsafe { R_RowNamesSymbol }
}

/// A CHARSXP in UTF-8. An embedded NUL would make R raise an error, so it
/// is written as the two characters `\0`.
pub fn charsxp(text: &str) -> SEXP {
    if text.as_bytes().contains(&0) {
        return charsxp(&text.replace('\0', "\\0"));
    }
    // SAFETY: the pointer and length describe `text`, which holds no NUL
    // (handled above) and is valid UTF-8.
    unsafe {
        Rf_mkCharLenCE(
            text.as_ptr() as *const c_char,
            text.len() as i32,
            cetype_t::CE_UTF8,
        )
    }
}

/// A CHARSXP, or NA for `None`.
pub fn charsxp_or_na(text: Option<&str>) -> SEXP {
    match text {
        Some(text) => charsxp(text),
        // SAFETY: reads R's NA string, set when R starts.
        None => unsafe { R_NaString },
    }
}

/// A new character vector, to be filled with [`set_string`].
pub fn strings(n: usize) -> SEXP {
    // SAFETY: allocates on R's main thread; the result is protected or returned
    // before anything else allocates.
    unsafe { Rf_allocVector(SEXPTYPE::STRSXP, n as isize) }
}

pub fn set_string(x: SEXP, i: usize, value: SEXP) {
    // SAFETY: `x` is a live character vector, `i` is below its length and
    // `value` a CHARSXP (the callers' contract).
    unsafe { SET_STRING_ELT(x, i as isize, value) }
}

/// A character vector holding one string.
pub fn string(text: &str) -> SEXP {
    let out = strings(1);
    // SAFETY: `out` is protected while its element is made, and unprotected
    // just before it is returned.
    unsafe { Rf_protect(out) };
    set_string(out, 0, charsxp(text));
    // SAFETY: undoes the protection just above.
    unsafe { Rf_unprotect(1) };
    out
}

/// A character vector of the given strings, kept alive for the whole
/// session (for names and classes built once).
pub fn preserved_strings(values: &[&str]) -> SEXP {
    let x = strings(values.len());
    // SAFETY: R_PreserveObject keeps `x` for the session; it protects its
    // argument while it allocates.
    unsafe { R_PreserveObject(x) };
    for (i, value) in values.iter().enumerate() {
        set_string(x, i, charsxp(value));
    }
    x
}

/// Element `i` of a character vector as UTF-8, `None` for NA or text that
/// cannot be converted. The text borrows `x`: the vector keeps its strings
/// alive, and a translation R makes lasts until the current `.Call` ends.
pub fn string_elt(x: &SEXP, i: usize) -> Option<&str> {
    // SAFETY: `x` is a live character vector and `i` is within its length
    // (every caller checks both); STRING_ELT only reads.
    let elt = unsafe { STRING_ELT(*x, i as isize) };
    // SAFETY: the string belongs to `x`, which outlives the borrow.
    unsafe { text(elt) }
}

/// The text of a CHARSXP in UTF-8, `None` for NA, borrowing `elt`.
pub fn charsxp_str(elt: &SEXP) -> Option<&str> {
    // SAFETY: `elt` is a live CHARSXP for as long as the caller holds it.
    unsafe { text(*elt) }
}

/// The text of a CHARSXP in UTF-8, `None` for NA or text that is not
/// UTF-8 after translation.
///
/// # Safety
/// `elt` must be a CHARSXP that stays alive for `'a`.
unsafe fn text<'a>(elt: SEXP) -> Option<&'a str> {
    if elt == R_NaString {
        return None;
    }
    // Rf_translateCharUTF8 returns the CHARSXP's own bytes when they are
    // UTF-8 already, otherwise a copy R frees when the `.Call` returns; both
    // are NUL-terminated.
    CStr::from_ptr(Rf_translateCharUTF8(elt)).to_str().ok()
}

/// A character vector of length one that is not NA, as UTF-8.
pub fn scalar_string(x: &SEXP) -> Option<&str> {
    if type_of(*x) != SEXPTYPE::STRSXP || len(*x) != 1 {
        return None;
    }
    string_elt(x, 0)
}

/// Sets the names attribute.
pub fn set_names(x: SEXP, names: SEXP) {
    // SAFETY: `x` and `names` are live; Rf_setAttrib protects its arguments
    // while it allocates.
    unsafe { Rf_setAttrib(x, names_symbol(), names) };
}

/// Sets the class attribute.
pub fn set_class(x: SEXP, class: SEXP) {
    // SAFETY: `x` and `class` are live; Rf_setAttrib protects its arguments
    // while it allocates.
    unsafe { Rf_setAttrib(x, class_symbol(), class) };
}

/// The tag and magic number of this package's external pointers.
const MAGIC: u64 = 0x6372_6577_5f70_7472;

#[repr(C)]
struct Tagged<T> {
    magic: u64,
    value: T,
}

/// Drops the value behind a pointer made by [`external`] with this `T`.
///
/// # Safety
/// Registered by [`external`] only, as the finalizer of a pointer to a
/// `Tagged<T>`; R runs it once (clearing the pointer first makes a second
/// run, or a later [`external_ref`], see nothing).
unsafe extern "C" fn finalize<T>(x: SEXP) {
    let address = R_ExternalPtrAddr(x) as *mut Tagged<T>;
    if !address.is_null() {
        R_ClearExternalPtr(x);
        (*address).magic = 0;
        drop(Box::from_raw(address));
    }
}

/// An external pointer owning `value`, tagged with the symbol `tag` (one
/// per kind). With `at_exit`, the value is also dropped when R exits.
pub fn external<T>(value: T, tag: SEXP, at_exit: bool) -> SEXP {
    let boxed = Box::into_raw(Box::new(Tagged {
        magic: MAGIC,
        value,
    }));
    // SAFETY: the pointer is protected while its finalizer is registered; the
    // finalizer frees the box made above, once.
    unsafe {
        let x = Rf_protect(R_MakeExternalPtr(boxed as *mut c_void, tag, nil()));
        let when = if at_exit {
            Rboolean::TRUE
        } else {
            Rboolean::FALSE
        };
        R_RegisterCFinalizerEx(x, Some(finalize::<T>), when);
        Rf_unprotect(1);
        x
    }
}

/// The value behind an external pointer of the kind `tag`, or `None` if
/// `x` is anything else: another type, another package's pointer, or a
/// pointer whose value is gone. The value lives as long as the pointer, so
/// the borrow is tied to `x`.
pub fn external_ref<T>(x: &SEXP, tag: SEXP) -> Option<&T> {
    // SAFETY: `x` is live while the caller holds it, and its value is
    // dropped only by its finalizer, once R has collected `x`.
    unsafe { external_value(*x, tag) }
}

/// [`external_ref`] for an object extendr passed in.
pub fn robj_external_ref<T>(x: &Robj, tag: SEXP) -> Option<&T> {
    // SAFETY: `x` holds the object, so the value behind it outlives the
    // borrow of `x`.
    unsafe { external_value(x.get(), tag) }
}

/// The value behind an external pointer of this package of the kind `tag`.
///
/// # Safety
/// `x` must stay alive (reachable by R) for `'a`; the value is dropped by
/// the pointer's finalizer only.
pub unsafe fn external_value<'a, T>(x: SEXP, tag: SEXP) -> Option<&'a T> {
    if TYPEOF(x) != SEXPTYPE::EXTPTRSXP || R_ExternalPtrTag(x) != tag {
        return None;
    }
    let address = R_ExternalPtrAddr(x) as *const Tagged<T>;
    // A pointer made here points at a `Tagged<T>` (the tag says which T)
    // until its finalizer clears it; the magic number guards against a
    // pointer of another kind that carries the same tag symbol.
    if address.is_null() || (*address).magic != MAGIC {
        return None;
    }
    Some(&(*address).value)
}
