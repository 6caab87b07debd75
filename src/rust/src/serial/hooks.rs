//! Serialization hooks: a controller's `serialization` setting, the list
//! `crew_serial_config()` (or `mirai::serial_config()`) returns, names
//! classes of reference objects (external pointers, environments) and for
//! each a function that turns such an object into a raw vector and one that
//! turns the raw vector back. R's serializer hands every reference object
//! to a hook; one of a registered class is written as a short name, and its
//! raw vector travels in front of the serialized bytes:
//!
//! `"CRWH" | u32 count | count x (u32 class index, u64 length, bytes) | R's stream`
//!
//! Only R's own serializer and reader take hooks, and the package's writer
//! leaves every external pointer and environment to R, so the hooks see
//! every such object wherever it is nested.
//!
//! The hooks in force are set by each entry point that serializes: the
//! client's from the controller's dispatcher handle or task handle, a
//! worker's from the settings its dispatcher sent in the welcome.

use crate::r::ffi::{
    R_ExternalPtrAddr, R_GlobalEnv, R_MakeExternalPtr, R_NilValue, R_PreserveObject,
    R_ReleaseObject, R_curErrorBuf, R_tryEvalSilent, Rf_allocVector, Rf_inherits, Rf_lang2,
    Rf_mkString, RAW, SEXP, SEXPTYPE, VECTOR_ELT,
};
use crate::r::sexp::{self, Protect};
use std::cell::RefCell;
use std::ffi::{c_int, c_void, CString};
use std::rc::Rc;

/// What a hooked payload starts with (never the start of R's stream).
pub const MAGIC: &[u8; 4] = b"CRWH";
const NAME_PREFIX: &str = "crew-serial-hook:";

/// A validated configuration: the classes, and a serialize and unserialize
/// function for each (the configuration list, kept from R's collector).
pub struct Hooks {
    config: SEXP,
    classes: Vec<CString>,
}

impl Drop for Hooks {
    fn drop(&mut self) {
        // Hooks live on R's thread only (they are never sent elsewhere).
        // SAFETY: `config` was preserved when these hooks were made, and hooks
        // live on R's thread only (they are not Send).
        unsafe { R_ReleaseObject(self.config) };
    }
}

impl Hooks {
    /// The hooks of `config`: `None` for NULL; an error that says what is
    /// wrong for anything but a list of a character vector of classes and
    /// two lists of as many functions.
    pub fn from_config(config: SEXP) -> Result<Option<Rc<Hooks>>, String> {
        if sexp::is_nil(config) {
            return Ok(None);
        }
        let expected = "a list of classes, serialize functions and unserialize functions";
        if sexp::type_of(config) != SEXPTYPE::VECSXP || sexp::len(config) != 3 {
            return Err(format!("serialization must be NULL or {expected}."));
        }
        // SAFETY: `config` is a list of three elements (checked above).
        let (class, sfunc, ufunc) = unsafe {
            (
                VECTOR_ELT(config, 0),
                VECTOR_ELT(config, 1),
                VECTOR_ELT(config, 2),
            )
        };
        if sexp::type_of(class) != SEXPTYPE::STRSXP || sexp::len(class) == 0 {
            return Err("the classes of serialization must be a nonempty character vector.".into());
        }
        let n = sexp::len(class);
        let mut classes = Vec::with_capacity(n);
        for i in 0..n {
            match sexp::string_elt(&class, i).filter(|c| !c.is_empty()) {
                Some(name) => classes.push(CString::new(name).map_err(|_| "bad class name")?),
                None => return Err("the classes of serialization must not be NA or empty.".into()),
            }
        }
        for (functions, what) in [(sfunc, "serialize"), (ufunc, "unserialize")] {
            let all_functions = sexp::type_of(functions) == SEXPTYPE::VECSXP
                && sexp::len(functions) == n
                // SAFETY: `functions` is a list of `n` elements (checked first)
                // and `i < n`.
                && (0..n).all(|i| is_function(unsafe { VECTOR_ELT(functions, i as isize) }));
            if !all_functions {
                return Err(format!(
                    "serialization needs one {what} function for each of its {n} classes."
                ));
            }
        }
        // SAFETY: keeps `config` until these hooks drop and release it.
        unsafe { R_PreserveObject(config) };
        Ok(Some(Rc::new(Hooks { config, classes })))
    }

    fn function(&self, which: isize, class: usize) -> SEXP {
        // SAFETY: `config` was checked to hold two lists of one function per
        // class, and `class` indexes `classes`.
        unsafe { VECTOR_ELT(VECTOR_ELT(self.config, which), class as isize) }
    }

    fn class_name(&self, class: usize) -> String {
        self.classes[class].to_string_lossy().into_owned()
    }
}

fn is_function(x: SEXP) -> bool {
    matches!(
        sexp::type_of(x),
        SEXPTYPE::CLOSXP | SEXPTYPE::BUILTINSXP | SEXPTYPE::SPECIALSXP
    )
}

thread_local! {
    static IN_FORCE: RefCell<Option<Rc<Hooks>>> = const { RefCell::new(None) };
}

/// Makes `hooks` the ones R's serializer and reader use from now on.
pub fn use_hooks(hooks: Option<Rc<Hooks>>) {
    IN_FORCE.with(|h| *h.borrow_mut() = hooks);
}

pub fn in_force() -> Option<Rc<Hooks>> {
    IN_FORCE.with(|h| h.borrow().clone())
}

/// `f(x)` evaluated in the global environment, or R's error message.
fn call(f: SEXP, x: SEXP) -> Result<SEXP, String> {
    let mut protect = Protect::new();
    // SAFETY: `f` belongs to the preserved configuration and the caller keeps
    // `x` alive.
    let expression = protect.keep(unsafe { Rf_lang2(f, x) });
    let mut failed: c_int = 0;
    // SAFETY: `expression` is protected; R_tryEvalSilent catches any error
    // instead of jumping over these frames.
    let value = unsafe { R_tryEvalSilent(expression, R_GlobalEnv, &mut failed) };
    if failed != 0 {
        // SAFETY: R's error buffer is a NUL-terminated static string, copied at
        // once.
        let message = unsafe { std::ffi::CStr::from_ptr(R_curErrorBuf()) };
        return Err(message.to_string_lossy().trim().to_string());
    }
    Ok(value)
}

/// The objects a serialization handed to the hooks, and the first error.
pub struct Written {
    hooks: Rc<Hooks>,
    pub blobs: Vec<(u32, Vec<u8>)>,
    pub error: Option<String>,
}

impl Written {
    pub fn new(hooks: Rc<Hooks>) -> Written {
        Written {
            hooks,
            blobs: Vec::new(),
            error: None,
        }
    }

    /// The payload: the hooked objects in front of R's stream, or the
    /// stream alone when the hooks wrote nothing.
    pub fn assemble(self, stream: Vec<u8>) -> Vec<u8> {
        if self.blobs.is_empty() {
            return stream;
        }
        let size = self.blobs.iter().map(|(_, b)| 12 + b.len()).sum::<usize>();
        let mut out = Vec::with_capacity(8 + size + stream.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.blobs.len() as u32).to_le_bytes());
        for (class, bytes) in &self.blobs {
            out.extend_from_slice(&class.to_le_bytes());
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            out.extend_from_slice(bytes);
        }
        out.extend_from_slice(&stream);
        out
    }
}

/// An external pointer to `state` for R's hook data, valid while `state`
/// lives.
pub fn hook_data<T>(state: &mut T) -> SEXP {
    // SAFETY: a pointer without finalizer to `state`, which the caller keeps
    // alive while R's stream uses it.
    unsafe { R_MakeExternalPtr(state as *mut T as *mut c_void, R_NilValue, R_NilValue) }
}

/// R's output hook: an object of a registered class becomes its name in
/// the stream, and its raw vector is kept for the front of the payload.
///
/// # Safety
/// Called by R's serializer only, with `data` made by [`hook_data`] from
/// the [`Written`] of the running serialization.
pub unsafe extern "C" fn write_hook(x: SEXP, data: SEXP) -> SEXP {
    let written = &mut *(R_ExternalPtrAddr(data) as *mut Written);
    if written.error.is_some() {
        return R_NilValue;
    }
    let Some(class) = written
        .hooks
        .classes
        .iter()
        .position(|c| Rf_inherits(x, c.as_ptr()) != crate::r::ffi::Rboolean::FALSE)
    else {
        return R_NilValue;
    };
    match call(written.hooks.function(1, class), x) {
        Ok(value) if sexp::type_of(value) == SEXPTYPE::RAWSXP => {
            let bytes = std::slice::from_raw_parts(RAW(value), sexp::len(value)).to_vec();
            written.blobs.push((class as u32, bytes));
            let name = format!("{NAME_PREFIX}{}", written.blobs.len() - 1);
            let name = CString::new(name).unwrap_or_default();
            Rf_mkString(name.as_ptr())
        }
        Ok(_) => {
            let class = written.hooks.class_name(class);
            written.error = Some(format!(
                "the serialize function for class \"{class}\" must return a raw vector."
            ));
            R_NilValue
        }
        Err(message) => {
            let class = written.hooks.class_name(class);
            written.error = Some(format!(
                "the serialize function for class \"{class}\" failed: {message}"
            ));
            R_NilValue
        }
    }
}

/// The hooked objects in front of a payload, for R's reader.
pub struct Read {
    hooks: Option<Rc<Hooks>>,
    blobs: Vec<(u32, Vec<u8>)>,
    pub error: Option<String>,
}

impl Read {
    /// Reads the hooked objects after the magic bytes from `bytes`, leaving
    /// it at the start of R's stream.
    pub fn parse(bytes: &mut dyn crate::serial::read::Bytes) -> Result<Read, String> {
        let malformed = || "the serialized data are malformed".to_string();
        let word = |bytes: &mut dyn crate::serial::read::Bytes, n: usize| -> Result<u64, String> {
            let raw = bytes.take(n).ok_or_else(malformed)?;
            let mut out = [0u8; 8];
            out[..n].copy_from_slice(raw);
            Ok(u64::from_le_bytes(out))
        };
        let count = word(bytes, 4)? as usize;
        let mut blobs = Vec::new();
        for _ in 0..count {
            let class = word(bytes, 4)? as u32;
            let len = usize::try_from(word(bytes, 8)?).map_err(|_| malformed())?;
            if len > bytes.len() - bytes.position() {
                return Err(malformed());
            }
            let mut blob = vec![0u8; len];
            bytes.copy_to(&mut blob).ok_or_else(malformed)?;
            blobs.push((class, blob));
        }
        Ok(Read {
            hooks: in_force(),
            blobs,
            error: None,
        })
    }

    fn restore(&self, name: SEXP) -> Result<SEXP, String> {
        let malformed = || "the serialized data are malformed".to_string();
        if sexp::type_of(name) != SEXPTYPE::STRSXP || sexp::len(name) != 1 {
            return Err(malformed());
        }
        let name = sexp::string_elt(&name, 0).ok_or_else(malformed)?;
        let index: usize = name
            .strip_prefix(NAME_PREFIX)
            .and_then(|i| i.parse().ok())
            .ok_or_else(malformed)?;
        let (class, bytes) = self.blobs.get(index).ok_or_else(malformed)?;
        let Some(hooks) = &self.hooks else {
            return Err(
                "the data hold objects written by a serialization hook, and no serialization is set here."
                    .into(),
            );
        };
        let class = *class as usize;
        if class >= hooks.classes.len() {
            return Err(
                "the data hold objects of a class this serialization does not know.".into(),
            );
        }
        let mut protect = Protect::new();
        // SAFETY: allocates on R's main thread; the result is protected or
        // returned before anything else allocates.
        let raw = protect.keep(unsafe { Rf_allocVector(SEXPTYPE::RAWSXP, bytes.len() as isize) });
        // SAFETY: `raw` is a protected raw vector of `bytes.len()` bytes.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), RAW(raw), bytes.len()) };
        call(hooks.function(2, class), raw).map_err(|message| {
            format!(
                "the unserialize function for class \"{}\" failed: {message}",
                hooks.class_name(class)
            )
        })
    }
}

/// R's input hook: the object a name in the stream stands for.
///
/// # Safety
/// Called by R's reader only, with `data` made by [`hook_data`] from the
/// [`Read`] of the running unserialization.
pub unsafe extern "C" fn read_hook(name: SEXP, data: SEXP) -> SEXP {
    let read = &mut *(R_ExternalPtrAddr(data) as *mut Read);
    if read.error.is_some() {
        return R_NilValue;
    }
    match read.restore(name) {
        Ok(object) => object,
        Err(message) => {
            read.error = Some(message);
            R_NilValue
        }
    }
}
