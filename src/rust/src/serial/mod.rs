//! R's own serialization, straight between R objects and Rust buffers.
//! Task and result payloads never become R raw vectors: that saves a copy
//! and an allocation of the payload's size on every hop, and R-level calls
//! to serialize() and unserialize() on every task.
//!
//! R may raise an error while serializing (an object it cannot write) or
//! unserializing (a truncated or foreign stream). Both run inside
//! R_ToplevelExec, which catches the error's long jump; the only frames it
//! skips are the small callbacks below, which own nothing to drop.

pub mod format;
pub mod hooks;
pub mod read;
pub mod write;

use crate::r::ffi::R_ToplevelExec;
use crate::r::ffi::{
    Hook, R_InitInPStream, R_InitOutPStream, R_NilValue, R_PreserveObject, R_ReleaseObject,
    R_Serialize, R_Unserialize, R_inpstream_st, R_inpstream_t, R_outpstream_st, R_outpstream_t,
    R_pstream_format_t, Rf_error, Rf_protect, Rf_unprotect, SEXP,
};
use crate::serial::read::{Bytes, Slice};
use crew_core::worker::{Cursor, Incoming};
use hooks as serial_hooks;
use std::ffi::{c_int, c_void};

/// R's serializer writes one byte.
///
/// # Safety
/// Called by R's serializer only, on a stream whose data is the `Vec<u8>`
/// of a running [`serialize_with_r`].
unsafe extern "C" fn out_char(stream: R_outpstream_t, c: c_int) {
    let buffer = &mut *((*stream).data as *mut Vec<u8>);
    buffer.push(c as u8);
}

/// R's serializer writes `n` bytes.
///
/// # Safety
/// As [`out_char`], with `bytes` pointing at `n` readable bytes.
unsafe extern "C" fn out_bytes(stream: R_outpstream_t, bytes: *mut c_void, n: c_int) {
    let buffer = &mut *((*stream).data as *mut Vec<u8>);
    buffer.extend_from_slice(std::slice::from_raw_parts(bytes as *const u8, n as usize));
}

/// The bytes R's reader reads, through the callbacks below.
struct Source<'a> {
    bytes: &'a mut dyn Bytes,
}

/// R's reader takes one byte; at the end of the data it raises an R error,
/// whose long jump skips only this frame, which owns nothing to drop.
///
/// # Safety
/// Called by R's reader only, on a stream whose data is the [`Source`] of
/// a running [`unserialize_with_r`], inside its R_ToplevelExec.
unsafe extern "C" fn in_char(stream: R_inpstream_t) -> c_int {
    let source = &mut *((*stream).data as *mut Source);
    match source.bytes.take(1) {
        Some(byte) => byte[0] as c_int,
        None => Rf_error(c"the serialized data ended early".as_ptr()),
    }
}

/// R's reader takes `n` bytes into `buffer`, or raises an R error as
/// [`in_char`] does.
///
/// # Safety
/// As [`in_char`], with `buffer` pointing at `n` writable bytes.
unsafe extern "C" fn in_bytes(stream: R_inpstream_t, buffer: *mut c_void, n: c_int) {
    let source = &mut *((*stream).data as *mut Source);
    let out = std::slice::from_raw_parts_mut(buffer as *mut u8, n.max(0) as usize);
    if source.bytes.copy_to(out).is_none() {
        Rf_error(c"the serialized data ended early".as_ptr());
    }
}

struct Serialize {
    object: SEXP,
    output: *mut Vec<u8>,
    hooks: Option<*mut serial_hooks::Written>,
}

/// Runs R's serializer for a [`Serialize`] job.
///
/// # Safety
/// Called through R_ToplevelExec on R's main thread, with `data` pointing
/// at a live `Serialize` whose output buffer and hook state outlive the
/// call, and whose object the caller keeps alive.
unsafe extern "C" fn run_serialize(data: *mut c_void) {
    let job = &mut *(data as *mut Serialize);
    let mut stream: R_outpstream_st = std::mem::zeroed();
    let (hook, hook_data): (Hook, SEXP) = match job.hooks {
        Some(written) => (
            Some(serial_hooks::write_hook),
            Rf_protect(serial_hooks::hook_data(&mut *written)),
        ),
        None => (None, R_NilValue),
    };
    R_InitOutPStream(
        &mut stream,
        job.output as *mut c_void,
        R_pstream_format_t::R_pstream_binary_format,
        3,
        Some(out_char),
        Some(out_bytes),
        hook,
        hook_data,
    );
    R_Serialize(job.object, &mut stream);
    if job.hooks.is_some() {
        Rf_unprotect(1);
    }
}

struct Unserialize<'a> {
    source: Source<'a>,
    hooks: Option<*mut serial_hooks::Read>,
    result: SEXP,
}

/// Runs R's reader for an [`Unserialize`] job; the result is preserved
/// until the caller takes it.
///
/// # Safety
/// Called through R_ToplevelExec on R's main thread, with `data` pointing
/// at a live `Unserialize` whose source and hook state outlive the call.
unsafe extern "C" fn run_unserialize(data: *mut c_void) {
    let job = &mut *(data as *mut Unserialize);
    let mut stream: R_inpstream_st = std::mem::zeroed();
    let (hook, hook_data): (Hook, SEXP) = match job.hooks {
        Some(read) => (
            Some(serial_hooks::read_hook),
            Rf_protect(serial_hooks::hook_data(&mut *read)),
        ),
        None => (None, R_NilValue),
    };
    R_InitInPStream(
        &mut stream,
        &mut job.source as *mut Source as *mut c_void,
        R_pstream_format_t::R_pstream_any_format,
        Some(in_char),
        Some(in_bytes),
        hook,
        hook_data,
    );
    let result = R_Unserialize(&mut stream);
    if job.hooks.is_some() {
        Rf_unprotect(1);
    }
    // R_ToplevelExec rebalances the protection stack when it returns, so
    // the result is kept alive through the precious list instead.
    R_PreserveObject(result);
    job.result = result;
}

/// Serializes an R object (binary format, version 3) into a new buffer:
/// with the writer of `serial/write.rs` when it knows every part of the
/// object, otherwise with R's own serializer.
pub fn serialize_sexp(object: SEXP) -> std::result::Result<Vec<u8>, String> {
    match serialize_natively(object) {
        Some(bytes) => Ok(bytes),
        None => serialize_with_r(object),
    }
}

/// `object` as the writer of `serial/write.rs` serializes it, or `None`
/// where it leaves the object to R's serializer.
pub fn serialize_natively(object: SEXP) -> Option<Vec<u8>> {
    with_header(|header| crate::serial::write::write(object, header).ok()).flatten()
}

/// `f(header)` with the header of R's serializer in this session, or
/// `None` if it could not be read (the package's writer is then unused).
fn with_header<T>(f: impl FnOnce(&[u8]) -> T) -> Option<T> {
    let header = HEADER.with(|h| h.clone());
    header.as_deref().map(f)
}

/// An object serialized by `serialize_up_to`.
pub enum Serialized {
    Bytes(Vec<u8>),
    /// Larger than the limit and written by the package's own writer:
    /// `serialize_natively_to` writes it in pieces, and this many bytes.
    Large(usize),
}

/// Serializes `object` into a buffer unless the package's writer finds it
/// larger than `limit`; R's serializer, where the object needs it, always
/// writes into a buffer.
pub fn serialize_up_to(object: SEXP, limit: usize) -> std::result::Result<Serialized, String> {
    let native = with_header(|header| {
        match crate::serial::write::write_up_to(object, header, limit).ok()? {
            Some(bytes) => Some(Serialized::Bytes(bytes)),
            None => crate::serial::write::size(object, header)
                .ok()
                .map(Serialized::Large),
        }
    });
    match native.flatten() {
        Some(serialized) => Ok(serialized),
        None => serialize_with_r(object).map(Serialized::Bytes),
    }
}

/// Writes `object` with the package's writer, handing the bytes to `put`
/// in pieces (the data of a large vector straight from R's memory); false
/// if that failed part way.
pub fn serialize_natively_to(object: SEXP, put: &mut dyn FnMut(&[u8]) -> bool) -> bool {
    with_header(|header| crate::serial::write::write_pieces(object, header, put)).unwrap_or(false)
}

thread_local! {
    /// The header R's serializer writes in this session (format, version,
    /// R version, native encoding), taken from serializing NULL once.
    static HEADER: std::rc::Rc<Option<Vec<u8>>> = std::rc::Rc::new(
        // SAFETY: reads R's NULL, set when R starts.
        serialize_with_r(unsafe { R_NilValue })
            .ok()
            .filter(|bytes| bytes.len() > 4)
            .map(|mut bytes| {
                bytes.truncate(bytes.len() - 4);
                bytes
            }),
    );
}

/// Serializes with R's own serializer, through the serialization hooks in
/// force, if any.
pub fn serialize_with_r(object: SEXP) -> std::result::Result<Vec<u8>, String> {
    let mut output = Vec::new();
    let mut written = serial_hooks::in_force().map(serial_hooks::Written::new);
    let mut job = Serialize {
        object,
        output: &mut output,
        hooks: written.as_mut().map(|w| w as *mut serial_hooks::Written),
    };
    // SAFETY: `job` outlives the call; R_ToplevelExec catches R's errors, and
    // the callbacks it may jump over own nothing to drop.
    let ok = unsafe {
        R_ToplevelExec(
            Some(run_serialize),
            &mut job as *mut Serialize as *mut c_void,
        )
    };
    if let Some(error) = written.as_mut().and_then(|w| w.error.take()) {
        return Err(error);
    }
    if ok == 0 {
        return Err("the object could not be serialized".into());
    }
    Ok(match written {
        Some(written) => written.assemble(output),
        None => output,
    })
}

/// Unserializes an R object from a buffer written by R's serialize(). The
/// result is unprotected: the caller protects it before allocating again.
pub fn unserialize_sexp(bytes: &[u8]) -> std::result::Result<SEXP, String> {
    if let Some(rest) = bytes.strip_prefix(serial_hooks::MAGIC) {
        return unserialize_hooked(&mut Slice::new(rest));
    }
    if let Some(object) = scalar::read(bytes) {
        return Ok(object);
    }
    if let Some(object) = crate::serial::read::read(bytes) {
        return Ok(object);
    }
    unserialize_with_r(&mut Slice::new(bytes), None)
}

/// Unserializes a task whose bytes are still arriving, copying them into
/// the R objects as they come. Unprotected, as above.
pub fn unserialize_arriving(incoming: &Incoming) -> std::result::Result<SEXP, String> {
    let mut cursor = Cursor::new(incoming);
    if crew_core::worker::Cursor::take(&mut cursor, 4).ok() == Some(&serial_hooks::MAGIC[..]) {
        return unserialize_hooked(&mut cursor);
    }
    if let Some(object) = crate::serial::read::read_from(Cursor::new(incoming)) {
        return Ok(object);
    }
    unserialize_with_r(&mut Cursor::new(incoming), None)
}

/// A payload whose objects of registered classes went through the
/// serialization hooks: `bytes` is past the magic bytes.
fn unserialize_hooked(bytes: &mut dyn Bytes) -> std::result::Result<SEXP, String> {
    let mut read = serial_hooks::Read::parse(bytes)?;
    let result = unserialize_with_r(bytes, Some(&mut read));
    match read.error.take() {
        Some(error) => Err(error),
        None => result,
    }
}

fn unserialize_with_r(
    bytes: &mut dyn Bytes,
    hooks: Option<&mut serial_hooks::Read>,
) -> std::result::Result<SEXP, String> {
    let mut job = Unserialize {
        source: Source { bytes },
        hooks: hooks.map(|h| h as *mut serial_hooks::Read),
        // SAFETY: reads R's NULL, set when R starts.
        result: unsafe { R_NilValue },
    };
    // SAFETY: `job` outlives the call; R_ToplevelExec catches R's errors, and
    // the callbacks it may jump over own nothing to drop.
    let ok = unsafe {
        R_ToplevelExec(
            Some(run_unserialize),
            &mut job as *mut Unserialize as *mut c_void,
        )
    };
    if ok == 0 {
        return Err("the serialized data could not be read".into());
    }
    // SAFETY: `run_unserialize` preserved the result; the caller protects it
    // before allocating again.
    unsafe { R_ReleaseObject(job.result) };
    Ok(job.result)
}

/// Most task values are one number or a logical. R's reader sets up a
/// stream, reads the header and interns its encoding name before it reads
/// such a value; decoding the few bytes here costs a fraction of that.
/// Anything else (attributes, other types, other formats) returns `None`
/// and goes to R's reader.
mod scalar {
    use crate::r::ffi::{R_NilValue, Rf_ScalarInteger, SEXP};

    use crate::r::ffi::{Rf_ScalarLogical, Rf_ScalarReal};

    const NILVALUE: i32 = 254;
    const LGLSXP: i32 = 10;
    const INTSXP: i32 = 13;
    const REALSXP: i32 = 14;

    fn int_at(bytes: &[u8], at: usize) -> Option<i32> {
        Some(i32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    }

    /// The offset of the first item after a version 3 binary header.
    fn item_offset(bytes: &[u8]) -> Option<usize> {
        if bytes.get(..2)? != b"B\n" || int_at(bytes, 2)? != 3 {
            return None;
        }
        let encoding = usize::try_from(int_at(bytes, 14)?).ok()?;
        Some(18 + encoding)
    }

    pub fn read(bytes: &[u8]) -> Option<SEXP> {
        let at = item_offset(bytes)?;
        let flags = int_at(bytes, at)?;
        if flags == NILVALUE {
            // SAFETY: reads R's NULL, set when R starts.
            return (bytes.len() == at + 4).then_some(unsafe { R_NilValue });
        }
        if !matches!(flags, LGLSXP | INTSXP | REALSXP) || int_at(bytes, at + 4)? != 1 {
            return None;
        }
        let data = at + 8;
        // SAFETY: allocates on R's main thread; the caller protects the result
        // before allocating again.
        unsafe {
            match flags {
                REALSXP if bytes.len() == data + 8 => {
                    let x = f64::from_ne_bytes(bytes[data..data + 8].try_into().ok()?);
                    Some(Rf_ScalarReal(x))
                }
                INTSXP if bytes.len() == data + 4 => Some(Rf_ScalarInteger(int_at(bytes, data)?)),
                LGLSXP if bytes.len() == data + 4 => Some(Rf_ScalarLogical(int_at(bytes, data)?)),
                _ => None,
            }
        }
    }
}
