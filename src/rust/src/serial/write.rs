//! R's serialization format (binary, version 3), written directly for the
//! objects tasks and results are usually made of: NULL, logical, integer,
//! double, complex, character and raw vectors, lists, pairlists, calls and
//! symbols, with attributes. The bytes are the ones `serialize(x, NULL,
//! xdr = FALSE)` writes (the tests compare them), so R reads them back
//! unchanged.
//!
//! Why: R's serializer allocates a hash table of 1,099 slots (8.8 KB) on
//! every call, which for 10,000 small tasks is 88 MB of garbage that grows
//! the client's memory before the collector runs, and it calls back once
//! per item. Anything this writer does not know (environments, closures,
//! external pointers, S4 objects, ALTREP vectors such as `1:10`, long
//! vectors) makes it give up, and the caller uses R's serializer.

use crate::r::ffi::{
    R_NaString, ALTREP, ATTRIB, CAR, CDR, DATAPTR, IS_LONG_VEC, IS_S4_OBJECT, LENGTH, LEVELS,
    OBJECT, PRINTNAME, R_CHAR, SEXP, SEXPTYPE, TAG,
};
use crate::r::sexp;

use crate::serial::format::{special_code, HAS_ATTR_BIT, HAS_TAG_BIT, IS_OBJECT_BIT, REFSXP};

/// CHARSXP levels that describe the cache, not the string.
const CHARSXP_CACHE_BITS: i32 = 32 | 1;
/// Deeper than this, a chain of nested lists goes to R's serializer.
const MAX_DEPTH: usize = 256;

/// The writer gave up: R's serializer writes this object instead.
pub struct Unsupported;

/// Where the writer's bytes go.
pub trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Counts the bytes instead of keeping them.
struct Count(usize);

impl Sink for Count {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}

/// Keeps bytes up to a limit and notes when there were more.
struct Limited {
    out: Vec<u8>,
    limit: usize,
    over: bool,
}

impl Sink for Limited {
    fn put(&mut self, bytes: &[u8]) {
        if self.over || self.out.len() + bytes.len() > self.limit {
            self.over = true;
        } else {
            self.out.extend_from_slice(bytes);
        }
    }
}

/// The size of the pieces handed on by `Pieces`.
const PIECE: usize = 1 << 20;

/// Hands the bytes on in pieces of about `PIECE`: small writes are
/// gathered, and a large vector's data goes on straight from R's memory.
struct Pieces<'a> {
    gathered: Vec<u8>,
    put: &'a mut dyn FnMut(&[u8]) -> bool,
    failed: bool,
}

impl Pieces<'_> {
    fn pass(&mut self, bytes: &[u8]) {
        if !self.failed && !bytes.is_empty() && !(self.put)(bytes) {
            self.failed = true;
        }
    }

    fn flush(&mut self) {
        let gathered = std::mem::take(&mut self.gathered);
        self.pass(&gathered);
        self.gathered = gathered;
        self.gathered.clear();
    }
}

impl Sink for Pieces<'_> {
    fn put(&mut self, bytes: &[u8]) {
        if bytes.len() >= PIECE {
            self.flush();
            for piece in bytes.chunks(PIECE) {
                self.pass(piece);
            }
            return;
        }
        self.gathered.extend_from_slice(bytes);
        if self.gathered.len() >= PIECE {
            self.flush();
        }
    }
}

struct Writer<S> {
    out: S,
    symbols: Symbols,
}

/// Symbols written so far: a later occurrence is written as a reference to
/// its position (1-based). Tasks hold a handful, so a short list is
/// searched; past 32, a map.
#[derive(Default)]
struct Symbols {
    list: Vec<SEXP>,
    map: std::collections::HashMap<usize, i32>,
}

impl Symbols {
    fn find(&self, x: SEXP) -> Option<i32> {
        if self.map.is_empty() {
            self.list.iter().position(|s| *s == x).map(|i| i as i32 + 1)
        } else {
            self.map.get(&(x as usize)).copied()
        }
    }

    fn add(&mut self, x: SEXP) {
        self.list.push(x);
        let index = self.list.len() as i32;
        if index > 32 {
            if self.map.is_empty() {
                for (i, s) in self.list.iter().enumerate() {
                    self.map.insert(*s as usize, i as i32 + 1);
                }
            } else {
                self.map.insert(x as usize, index);
            }
        }
    }
}

impl<S: Sink> Writer<S> {
    fn int(&mut self, x: i32) {
        self.out.put(&x.to_ne_bytes());
    }

    fn bytes(&mut self, x: &[u8]) {
        self.out.put(x);
    }

    fn length(&mut self, x: SEXP) -> Result<usize, Unsupported> {
        // SAFETY: `x` is a live vector reachable from the object being written,
        // which the caller holds.
        if unsafe { IS_LONG_VEC(x) } != 0 {
            return Err(Unsupported);
        }
        // SAFETY: `x` is a live vector, not a long one (checked above).
        let n = unsafe { LENGTH(x) };
        self.int(n);
        Ok(n as usize)
    }

    fn flags(&mut self, x: SEXP, kind: SEXPTYPE, has_tag: bool) -> bool {
        // SAFETY: `x` is live, reachable from the object being written; these
        // only read its header.
        let has_attr = kind != SEXPTYPE::CHARSXP && !sexp::is_nil(unsafe { ATTRIB(x) });
        // SAFETY: `x` is live, reachable from the object being written; these
        // only read its header.
        let mut levels = unsafe { LEVELS(x) };
        if kind == SEXPTYPE::CHARSXP {
            levels &= !CHARSXP_CACHE_BITS;
        }
        let mut flags = kind as i32 | (levels << 12);
        // SAFETY: `x` is live, reachable from the object being written; these
        // only read its header.
        if unsafe { OBJECT(x) } != 0 {
            flags |= IS_OBJECT_BIT;
        }
        if has_attr {
            flags |= HAS_ATTR_BIT;
        }
        if has_tag {
            flags |= HAS_TAG_BIT;
        }
        self.int(flags);
        has_attr
    }

    fn special(&mut self, x: SEXP) -> bool {
        match special_code(x) {
            Some(code) => {
                self.int(code);
                true
            }
            None => false,
        }
    }

    fn symbol(&mut self, x: SEXP) -> Result<(), Unsupported> {
        if let Some(index) = self.symbols.find(x) {
            if index > i32::MAX >> 8 {
                self.int(REFSXP);
                self.int(index);
            } else {
                self.int((index << 8) | REFSXP);
            }
            return Ok(());
        }
        self.symbols.add(x);
        self.int(SEXPTYPE::SYMSXP as i32);
        // SAFETY: `x` is a symbol, whose name is a CHARSXP.
        self.item(unsafe { PRINTNAME(x) }, 0)
    }

    fn charsxp(&mut self, x: SEXP) {
        self.flags(x, SEXPTYPE::CHARSXP, false);
        // SAFETY: reads R's NA string, set when R starts.
        if x == unsafe { R_NaString } {
            self.int(-1);
            return;
        }
        // SAFETY: `x` is a live CHARSXP (not NA, checked above).
        let n = unsafe { LENGTH(x) } as usize;
        self.int(n as i32);
        // SAFETY: `x` is a CHARSXP of `n` bytes.
        let text = unsafe { std::slice::from_raw_parts(R_CHAR(x), n) };
        self.bytes(text);
    }

    fn item(&mut self, mut x: SEXP, depth: usize) -> Result<(), Unsupported> {
        if depth > MAX_DEPTH {
            return Err(Unsupported);
        }
        loop {
            if self.special(x) {
                return Ok(());
            }
            let kind = sexp::type_of(x);
            // SAFETY: `x` is live, reachable from the object being written;
            // these only read its header.
            if unsafe { ALTREP(x) != 0 || IS_S4_OBJECT(x) != 0 } {
                return Err(Unsupported);
            }
            match kind {
                SEXPTYPE::SYMSXP => return self.symbol(x),
                SEXPTYPE::LISTSXP | SEXPTYPE::LANGSXP => {
                    // SAFETY: `x` is a live pairlist or call cell.
                    let tag = unsafe { TAG(x) };
                    let has_attr = self.flags(x, kind, !sexp::is_nil(tag));
                    if has_attr {
                        // SAFETY: `x` is a live pairlist or call cell.
                        self.item(unsafe { ATTRIB(x) }, depth + 1)?;
                    }
                    if !sexp::is_nil(tag) {
                        self.item(tag, depth + 1)?;
                    }
                    // SAFETY: `x` is a live pairlist or call cell.
                    self.item(unsafe { CAR(x) }, depth + 1)?;
                    // The rest of the pairlist, without recursing.
                    // SAFETY: `x` is a live pairlist or call cell.
                    x = unsafe { CDR(x) };
                    continue;
                }
                SEXPTYPE::CHARSXP => {
                    self.charsxp(x);
                    return Ok(());
                }
                SEXPTYPE::LGLSXP
                | SEXPTYPE::INTSXP
                | SEXPTYPE::REALSXP
                | SEXPTYPE::CPLXSXP
                | SEXPTYPE::RAWSXP => {
                    let has_attr = self.flags(x, kind, false);
                    let n = self.length(x)?;
                    let width = match kind {
                        SEXPTYPE::RAWSXP => 1,
                        SEXPTYPE::REALSXP => 8,
                        SEXPTYPE::CPLXSXP => 16,
                        _ => 4,
                    };
                    if n > 0 {
                        // SAFETY: `x` is a live vector, not ALTREP (checked
                        // above), of `n` elements of `width` bytes.
                        let data = unsafe { std::slice::from_raw_parts(DATAPTR(x), n * width) };
                        self.bytes(data);
                    }
                    if has_attr {
                        // SAFETY: `x` is live; its attributes are a pairlist.
                        self.item(unsafe { ATTRIB(x) }, depth + 1)?;
                    }
                    return Ok(());
                }
                SEXPTYPE::STRSXP => {
                    let has_attr = self.flags(x, kind, false);
                    let n = self.length(x)?;
                    for i in 0..n {
                        // SAFETY: `x` is a live character vector of `n`
                        // elements and `i < n`.
                        self.charsxp(unsafe { crate::r::ffi::STRING_ELT(x, i as isize) });
                    }
                    if has_attr {
                        // SAFETY: `x` is live; its attributes are a pairlist.
                        self.item(unsafe { ATTRIB(x) }, depth + 1)?;
                    }
                    return Ok(());
                }
                SEXPTYPE::VECSXP | SEXPTYPE::EXPRSXP => {
                    let has_attr = self.flags(x, kind, false);
                    let n = self.length(x)?;
                    for i in 0..n {
                        self.item(
                            // SAFETY: `x` is a live list of `n` elements and `i
                            // < n`.
                            unsafe { crate::r::ffi::VECTOR_ELT(x, i as isize) },
                            depth + 1,
                        )?;
                    }
                    if has_attr {
                        // SAFETY: `x` is live; its attributes are a pairlist.
                        self.item(unsafe { ATTRIB(x) }, depth + 1)?;
                    }
                    return Ok(());
                }
                _ => return Err(Unsupported),
            }
        }
    }
}

fn write_into<S: Sink>(x: SEXP, header: &[u8], out: S) -> Result<S, Unsupported> {
    let mut writer = Writer {
        out,
        symbols: Symbols::default(),
    };
    writer.bytes(header);
    writer.item(x, 0)?;
    Ok(writer.out)
}

/// `x` in R's serialization format after `header` (the first bytes R's own
/// serializer writes in this session), or `Unsupported`.
pub fn write(x: SEXP, header: &[u8]) -> Result<Vec<u8>, Unsupported> {
    write_into(x, header, Vec::with_capacity(header.len() + 256))
}

/// `x` serialized as `write()` does, if that takes at most `limit` bytes;
/// `Ok(None)` if it takes more.
pub fn write_up_to(x: SEXP, header: &[u8], limit: usize) -> Result<Option<Vec<u8>>, Unsupported> {
    let out = Limited {
        out: Vec::with_capacity((header.len() + 256).min(limit)),
        limit,
        over: false,
    };
    let out = write_into(x, header, out)?;
    Ok((!out.over).then_some(out.out))
}

/// The number of bytes `write()` would write for `x`.
pub fn size(x: SEXP, header: &[u8]) -> Result<usize, Unsupported> {
    Ok(write_into(x, header, Count(0))?.0)
}

/// Writes `x` as `write()` does, handing the bytes to `put` in pieces;
/// false if the writer gave up or `put` refused a piece.
pub fn write_pieces(x: SEXP, header: &[u8], put: &mut dyn FnMut(&[u8]) -> bool) -> bool {
    let out = Pieces {
        gathered: Vec::with_capacity(PIECE),
        put,
        failed: false,
    };
    match write_into(x, header, out) {
        Ok(mut out) => {
            out.flush();
            !out.failed
        }
        Err(Unsupported) => false,
    }
}
