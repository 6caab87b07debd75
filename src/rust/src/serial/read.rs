//! R's serialization format (binary, version 3), read directly for what
//! `serial/write.rs` writes: NULL, logical, integer, double, complex,
//! character and raw vectors, lists, pairlists, calls and symbols, with
//! attributes. Vectors are copied in one piece, where R's reader copies
//! through a stream in small blocks: a 100 MB result arrives about twice as
//! fast. Anything else (environments, closures, bytecode, ALTREP, S4, long
//! vectors, other formats) makes it give up, and the caller uses R's
//! reader. Malformed input gives up too; R's reader then reports it.

use crate::r::ffi::{
    cetype_t, R_NaString, R_NilValue, Rf_allocVector, Rf_cons, Rf_install, Rf_lcons,
    Rf_mkCharLenCE, DATAPTR, R_CHAR, SETCAR, SETCDR, SETLEVELS, SET_ATTRIB, SET_OBJECT,
    SET_STRING_ELT, SET_TAG, SET_VECTOR_ELT, SEXP, SEXPTYPE,
};
use crate::r::sexp::{self, Protect};
use std::ffi::c_int;

use crate::serial::format::{
    special_object, HAS_ATTR_BIT, HAS_TAG_BIT, IS_OBJECT_BIT, NILVALUE_SXP, REFSXP,
};

/// CHARSXP encoding levels.
const BYTES_MASK: i32 = 1 << 1;
const LATIN1_MASK: i32 = 1 << 2;
const UTF8_MASK: i32 = 1 << 3;
/// A vector read here never has spare capacity.
const GROWABLE_MASK: i32 = 1 << 5;
const MAX_DEPTH: usize = 256;

/// Where a reader's bytes come from: one buffer, or a task's bytes as they
/// arrive (reading waits for them).
pub trait Bytes {
    /// All the bytes there are or will be.
    fn len(&self) -> usize;
    /// The bytes read so far.
    fn position(&self) -> usize;
    /// The next `n` bytes; `None` if fewer remain.
    fn take(&mut self, n: usize) -> Option<&[u8]>;
    /// Fills `out` with the next bytes; `None` if fewer remain.
    fn copy_to(&mut self, out: &mut [u8]) -> Option<()>;
}

/// Bytes in one buffer.
pub struct Slice<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Slice<'a> {
    pub fn new(bytes: &'a [u8]) -> Slice<'a> {
        Slice { bytes, at: 0 }
    }
}

impl Bytes for Slice<'_> {
    fn len(&self) -> usize {
        self.bytes.len()
    }

    fn position(&self) -> usize {
        self.at
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(out)
    }

    fn copy_to(&mut self, out: &mut [u8]) -> Option<()> {
        out.copy_from_slice(self.take(out.len())?);
        Some(())
    }
}

impl Bytes for crew_core::worker::Cursor<'_> {
    fn len(&self) -> usize {
        crew_core::worker::Cursor::len(self)
    }

    fn position(&self) -> usize {
        crew_core::worker::Cursor::position(self)
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        crew_core::worker::Cursor::take(self, n).ok()
    }

    fn copy_to(&mut self, out: &mut [u8]) -> Option<()> {
        crew_core::worker::Cursor::copy_to(self, out).ok()
    }
}

/// The reader gave up: R's reader reads these bytes instead.
struct GiveUp;

type Read<T> = Result<T, GiveUp>;

struct Reader<B> {
    bytes: B,
    /// Symbols read so far, for references (1-based).
    symbols: Vec<SEXP>,
}

impl<B: Bytes> Reader<B> {
    fn take(&mut self, n: usize) -> Read<&[u8]> {
        self.bytes.take(n).ok_or(GiveUp)
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.bytes.position()
    }

    fn int(&mut self) -> Read<i32> {
        Ok(i32::from_ne_bytes(
            self.take(4)?.try_into().map_err(|_| GiveUp)?,
        ))
    }

    fn length(&mut self) -> Read<usize> {
        usize::try_from(self.int()?).map_err(|_| GiveUp)
    }

    fn header(&mut self) -> Read<()> {
        if self.take(2)? != b"B\n" || self.int()? != 3 {
            return Err(GiveUp);
        }
        self.int()?;
        self.int()?;
        let encoding = self.length()?;
        self.take(encoding)?;
        Ok(())
    }

    fn charsxp(&mut self, flags: i32) -> Read<SEXP> {
        if flags & 0xff != SEXPTYPE::CHARSXP as i32 {
            return Err(GiveUp);
        }
        let n = self.int()?;
        if n == -1 {
            // SAFETY: reads R's NA string, set when R starts.
            return Ok(unsafe { R_NaString });
        }
        let text = self.take(usize::try_from(n).map_err(|_| GiveUp)?)?;
        let levels = flags >> 12;
        let encoding = if levels & UTF8_MASK != 0 {
            cetype_t::CE_UTF8
        } else if levels & LATIN1_MASK != 0 {
            cetype_t::CE_LATIN1
        } else if levels & BYTES_MASK != 0 {
            cetype_t::CE_BYTES
        } else {
            cetype_t::CE_NATIVE
        };
        if text.contains(&0) {
            return Err(GiveUp);
        }
        // SAFETY: `text` holds no NUL (checked above) and its length fits an
        // int (it came from one).
        Ok(unsafe { Rf_mkCharLenCE(text.as_ptr() as *const _, text.len() as c_int, encoding) })
    }

    fn finish(&mut self, x: SEXP, flags: i32, depth: usize) -> Read<SEXP> {
        let mut protect = Protect::new();
        protect.keep(x);
        // SAFETY: `x` is protected; SETLEVELS and SET_OBJECT only set flag bits
        // of a new object.
        unsafe {
            SETLEVELS(x, (flags >> 12) & !GROWABLE_MASK);
            SET_OBJECT(x, (flags & IS_OBJECT_BIT != 0) as c_int);
        }
        if flags & HAS_ATTR_BIT != 0 {
            let attributes = self.attributes(depth)?;
            // SAFETY: `x` is protected and `attributes` is a pairlist or NULL
            // (checked by `attributes`).
            unsafe { SET_ATTRIB(x, attributes) };
        }
        Ok(x)
    }

    /// Attributes: R's setters raise an error (a long jump through this
    /// code) for anything but a pairlist, so anything else gives up.
    fn attributes(&mut self, depth: usize) -> Read<SEXP> {
        let x = self.item(depth + 1)?;
        match sexp::type_of(x) {
            SEXPTYPE::LISTSXP | SEXPTYPE::NILSXP => Ok(x),
            _ => Err(GiveUp),
        }
    }

    fn vector(&mut self, kind: SEXPTYPE, flags: i32, depth: usize) -> Read<SEXP> {
        let n = self.length()?;
        let width = match kind {
            SEXPTYPE::RAWSXP => 1,
            SEXPTYPE::REALSXP => 8,
            SEXPTYPE::CPLXSXP => 16,
            _ => 4,
        };
        let bytes = n.checked_mul(width).ok_or(GiveUp)?;
        if bytes > self.remaining() {
            return Err(GiveUp);
        }
        // Allocated first, so that bytes still arriving are copied straight
        // into the vector; nothing here allocates while it is unprotected.
        // SAFETY: nothing allocates between here and `finish`, which protects
        // `x` first.
        let x = unsafe { Rf_allocVector(kind, n as isize) };
        if n > 0 {
            // SAFETY: `x` is a new vector of `n` elements of `width` bytes,
            // `bytes` in all.
            let out = unsafe { std::slice::from_raw_parts_mut(DATAPTR(x), bytes) };
            self.bytes.copy_to(out).ok_or(GiveUp)?;
        }
        self.finish(x, flags, depth)
    }

    fn strings(&mut self, flags: i32, depth: usize) -> Read<SEXP> {
        let n = self.length()?;
        if n > self.bytes.len() / 8 {
            return Err(GiveUp);
        }
        let mut protect = Protect::new();
        // SAFETY: allocates on R's main thread; the result is protected or
        // returned before anything else allocates.
        let x = protect.keep(unsafe { Rf_allocVector(SEXPTYPE::STRSXP, n as isize) });
        for i in 0..n {
            let element_flags = self.int()?;
            let element = self.charsxp(element_flags)?;
            // SAFETY: `x` is a protected character vector of `n` elements, `i <
            // n`, and `element` is a CHARSXP.
            unsafe { SET_STRING_ELT(x, i as isize, element) };
        }
        self.finish(x, flags, depth)
    }

    fn list(&mut self, kind: SEXPTYPE, flags: i32, depth: usize) -> Read<SEXP> {
        let n = self.length()?;
        if n > self.bytes.len() / 4 {
            return Err(GiveUp);
        }
        let mut protect = Protect::new();
        // SAFETY: allocates on R's main thread; the result is protected or
        // returned before anything else allocates.
        let x = protect.keep(unsafe { Rf_allocVector(kind, n as isize) });
        for i in 0..n {
            let element = self.item(depth + 1)?;
            // SAFETY: `x` is a protected list of `n` elements and `i < n`.
            unsafe { SET_VECTOR_ELT(x, i as isize, element) };
        }
        self.finish(x, flags, depth)
    }

    /// A pairlist or call, its cells read in a loop rather than recursion.
    /// Each cell is linked into the list before its parts are read, so the
    /// protected head keeps everything read so far.
    fn pairlist(&mut self, mut flags: i32, depth: usize) -> Read<SEXP> {
        let mut protect = Protect::new();
        // SAFETY: reads R's NULL, set when R starts.
        let mut head = unsafe { R_NilValue };
        let mut tail = head;
        loop {
            // SAFETY: allocates on R's main thread; the result is protected or
            // returned before anything else allocates.
            let cell = unsafe {
                if flags & 0xff == SEXPTYPE::LANGSXP as i32 {
                    Rf_lcons(R_NilValue, R_NilValue)
                } else {
                    Rf_cons(R_NilValue, R_NilValue)
                }
            };
            if sexp::is_nil(head) {
                head = protect.keep(cell);
            } else {
                // SAFETY: `tail` is the last cell of the protected list and
                // `cell` a new cell.
                unsafe { SETCDR(tail, cell) };
            }
            tail = cell;
            // SAFETY: `cell` is reachable from the protected head; these only
            // set flag bits.
            unsafe {
                SETLEVELS(cell, flags >> 12);
                SET_OBJECT(cell, (flags & IS_OBJECT_BIT != 0) as c_int);
            }
            if flags & HAS_ATTR_BIT != 0 {
                let attributes = self.attributes(depth)?;
                // SAFETY: `cell` is reachable from the protected head and
                // `attributes` is a pairlist or NULL.
                unsafe { SET_ATTRIB(cell, attributes) };
            }
            if flags & HAS_TAG_BIT != 0 {
                let tag = self.item(depth + 1)?;
                if sexp::type_of(tag) != SEXPTYPE::SYMSXP {
                    return Err(GiveUp);
                }
                // SAFETY: `cell` is reachable from the protected head and `tag`
                // is a symbol (checked above).
                unsafe { SET_TAG(cell, tag) };
            }
            let car = self.item(depth + 1)?;
            // SAFETY: `cell` is reachable from the protected head.
            unsafe { SETCAR(cell, car) };
            let next = self.int()?;
            let next_kind = next & 0xff;
            if next_kind == SEXPTYPE::LISTSXP as i32 || next_kind == SEXPTYPE::LANGSXP as i32 {
                flags = next;
                continue;
            }
            // Anything but a plain end of list goes to R's reader.
            if next != NILVALUE_SXP {
                return Err(GiveUp);
            }
            return Ok(head);
        }
    }

    fn item(&mut self, depth: usize) -> Read<SEXP> {
        if depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        let flags = self.int()?;
        if let Some(object) = special_object(flags) {
            return Ok(object);
        }
        let kind = flags & 0xff;
        if kind == REFSXP {
            let index = match flags >> 8 {
                0 => self.int()?,
                index => index,
            };
            let index = usize::try_from(index).map_err(|_| GiveUp)?;
            return self
                .symbols
                .get(index.wrapping_sub(1))
                .copied()
                .ok_or(GiveUp);
        }
        match kind {
            k if k == SEXPTYPE::SYMSXP as i32 => {
                let name_flags = self.int()?;
                let name = self.charsxp(name_flags)?;
                // R refuses NA and empty names with an error.
                // SAFETY: reads R's NA string, set when R starts.
                if name == unsafe { R_NaString } || sexp::len(name) == 0 {
                    return Err(GiveUp);
                }
                // SAFETY: `name` is a CHARSXP without NUL (checked when read),
                // so its text is NUL-terminated; symbols are never collected.
                let symbol = unsafe { Rf_install(R_CHAR(name) as *const _) };
                self.symbols.push(symbol);
                Ok(symbol)
            }
            k if k == SEXPTYPE::LISTSXP as i32 || k == SEXPTYPE::LANGSXP as i32 => {
                self.pairlist(flags, depth)
            }
            k if k == SEXPTYPE::CHARSXP as i32 => self.charsxp(flags),
            k if k == SEXPTYPE::LGLSXP as i32 => self.vector(SEXPTYPE::LGLSXP, flags, depth),
            k if k == SEXPTYPE::INTSXP as i32 => self.vector(SEXPTYPE::INTSXP, flags, depth),
            k if k == SEXPTYPE::REALSXP as i32 => self.vector(SEXPTYPE::REALSXP, flags, depth),
            k if k == SEXPTYPE::CPLXSXP as i32 => self.vector(SEXPTYPE::CPLXSXP, flags, depth),
            k if k == SEXPTYPE::RAWSXP as i32 => self.vector(SEXPTYPE::RAWSXP, flags, depth),
            k if k == SEXPTYPE::STRSXP as i32 => self.strings(flags, depth),
            k if k == SEXPTYPE::VECSXP as i32 => self.list(SEXPTYPE::VECSXP, flags, depth),
            k if k == SEXPTYPE::EXPRSXP as i32 => self.list(SEXPTYPE::EXPRSXP, flags, depth),
            _ => Err(GiveUp),
        }
    }
}

/// The object in `bytes`, or `None` where R's reader must read them. The
/// result is unprotected: the caller protects it before allocating again.
pub fn read(bytes: &[u8]) -> Option<SEXP> {
    read_from(Slice::new(bytes))
}

/// The object in `bytes`, read from their first byte, or `None`.
pub fn read_from<B: Bytes>(bytes: B) -> Option<SEXP> {
    let mut reader = Reader {
        bytes,
        symbols: Vec::new(),
    };
    reader.header().ok()?;
    let mut protect = Protect::new();
    let x = protect.keep(reader.item(0).ok()?);
    (reader.remaining() == 0).then_some(x)
}
