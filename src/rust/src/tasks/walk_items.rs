//! The tasks of one `walk()`: what each task has of its own (one element
//! of every column of `iterate`, and its seed) kept as plain columns in the
//! dispatcher, and encoded only when the task is sent. A worker decodes
//! them into R values and joins them with the batch's shared part, the
//! task template every task of the walk shares.
//!
//! Encoding of one task: its seed, then one value per column, each a tag
//! byte followed by its data in little-endian order.

use crate::r::ffi::{
    R_NilValue, Rf_ScalarInteger, Rf_xlength, INTEGER, LOGICAL, REAL, SEXP, SEXPTYPE, VECTOR_ELT,
};
use crate::r::sexp;
use crew_core::dispatcher::Items;
use std::collections::HashMap;

use crate::r::ffi::{Rf_ScalarLogical, Rf_ScalarReal};

const NULL: u8 = 0;
const INTEGER_VALUE: u8 = 1;
const DOUBLE: u8 = 2;
const LOGICAL_VALUE: u8 = 3;
const STRING_NA: u8 = 4;
const STRING: u8 = 5;
const SERIALIZED: u8 = 6;

/// One column of `iterate`, as plain data.
pub enum Column {
    Logical(Vec<i32>),
    Integer(Vec<i32>),
    Double(Vec<f64>),
    Character(Vec<Option<Box<str>>>),
    /// Elements of a list, serialized; `None` for NULL.
    List(Vec<Option<Box<[u8]>>>),
}

impl Column {
    /// Copies a column that is a plain logical, integer, double or
    /// character vector or a plain list (R made sure of that), serializing
    /// list elements.
    pub fn from_sexp(x: SEXP) -> Result<Column, String> {
        // SAFETY: `x` is a live vector (an element of the caller's list).
        let n = unsafe { Rf_xlength(x) } as usize;
        Ok(match sexp::type_of(x) {
            // SAFETY: `x` is a logical vector of `n` elements.
            SEXPTYPE::LGLSXP => Column::Logical(unsafe { slice(&x, LOGICAL(x), n) }.to_vec()),
            // SAFETY: `x` is an integer vector of `n` elements.
            SEXPTYPE::INTSXP => Column::Integer(unsafe { slice(&x, INTEGER(x), n) }.to_vec()),
            // SAFETY: `x` is a double vector of `n` elements.
            SEXPTYPE::REALSXP => Column::Double(unsafe { slice(&x, REAL(x), n) }.to_vec()),
            SEXPTYPE::STRSXP => Column::Character(
                (0..n)
                    .map(|i| sexp::string_elt(&x, i).map(Box::from))
                    .collect(),
            ),
            SEXPTYPE::VECSXP => {
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    // SAFETY: `x` is a list of `n` elements and `i < n`.
                    let element = unsafe { VECTOR_ELT(x, i as isize) };
                    out.push(if sexp::is_nil(element) {
                        None
                    } else {
                        Some(crate::serial::serialize_sexp(element)?.into_boxed_slice())
                    });
                }
                Column::List(out)
            }
            _ => return Err("an element of iterate is not a vector".into()),
        })
    }

    fn encode(&self, index: usize, out: &mut Vec<u8>) {
        match self {
            Column::Logical(v) => {
                out.push(LOGICAL_VALUE);
                out.extend_from_slice(&v[index].to_le_bytes());
            }
            Column::Integer(v) => {
                out.push(INTEGER_VALUE);
                out.extend_from_slice(&v[index].to_le_bytes());
            }
            Column::Double(v) => {
                out.push(DOUBLE);
                out.extend_from_slice(&v[index].to_le_bytes());
            }
            Column::Character(v) => match &v[index] {
                None => out.push(STRING_NA),
                Some(text) => bytes(out, STRING, text.as_bytes()),
            },
            Column::List(v) => match &v[index] {
                None => out.push(NULL),
                Some(serialized) => bytes(out, SERIALIZED, serialized),
            },
        }
    }
}

/// The `n` elements of R vector `vector` at `data`, borrowing `vector`.
///
/// # Safety
/// `data` must be the data of `vector`, a live vector of `n` elements of
/// type `T`.
unsafe fn slice<T>(_vector: &SEXP, data: *const T, n: usize) -> &[T] {
    if n == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(data, n)
    }
}

fn bytes(out: &mut Vec<u8>, tag: u8, data: &[u8]) {
    out.push(tag);
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
}

/// The names of a walk's tasks.
pub enum Names {
    /// `<prefix>_1`, `<prefix>_2`, ...
    Numbered(String),
    /// Given by the user (unique, nonempty).
    Given(Vec<Box<str>>, HashMap<Box<str>, u32>),
}

impl Names {
    pub fn given(names: Vec<Box<str>>) -> Names {
        let index = names
            .iter()
            .enumerate()
            .map(|(i, name)| (name.clone(), i as u32))
            .collect();
        Names::Given(names, index)
    }
}

/// The tasks of one walk.
pub struct WalkItems {
    pub n: usize,
    pub names: Names,
    pub columns: Vec<Column>,
    pub seeds: Option<Vec<i32>>,
}

impl Items for WalkItems {
    fn len(&self) -> usize {
        self.n
    }

    fn name(&self, index: usize) -> String {
        match &self.names {
            Names::Numbered(prefix) => format!("{prefix}_{}", index + 1),
            Names::Given(names, _) => names[index].to_string(),
        }
    }

    fn find(&self, name: &str) -> Option<usize> {
        match &self.names {
            Names::Numbered(prefix) => {
                let digits = name.strip_prefix(prefix.as_str())?.strip_prefix('_')?;
                if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let i: usize = digits.parse().ok()?;
                (1..=self.n).contains(&i).then(|| i - 1)
            }
            Names::Given(_, index) => index.get(name).map(|i| *i as usize),
        }
    }

    fn payload(&self, index: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + 9 * self.columns.len());
        match &self.seeds {
            Some(seeds) => {
                out.push(INTEGER_VALUE);
                out.extend_from_slice(&seeds[index].to_le_bytes());
            }
            None => out.push(NULL),
        }
        for column in &self.columns {
            column.encode(index, &mut out);
        }
        out
    }
}

/// Reads one value; `None` if the bytes are malformed.
fn decode_value(bytes: &[u8], at: &mut usize) -> Option<Result<SEXP, String>> {
    let tag = *bytes.get(*at)?;
    *at += 1;
    let mut take = |n: usize| -> Option<&[u8]> {
        let out = bytes.get(*at..*at + n)?;
        *at += n;
        Some(out)
    };
    let value = match tag {
        // SAFETY: reads R's NULL, set when R starts.
        NULL => unsafe { R_NilValue },
        // SAFETY: allocates on R's main thread; `decode`'s caller protects each
        // value.
        INTEGER_VALUE => unsafe { Rf_ScalarInteger(i32::from_le_bytes(take(4)?.try_into().ok()?)) },
        // SAFETY: R's shared logical constants: nothing is allocated.
        LOGICAL_VALUE => unsafe { Rf_ScalarLogical(i32::from_le_bytes(take(4)?.try_into().ok()?)) },
        // SAFETY: allocates on R's main thread; `decode`'s caller protects each
        // value.
        DOUBLE => unsafe { Rf_ScalarReal(f64::from_le_bytes(take(8)?.try_into().ok()?)) },
        STRING_NA => {
            let x = sexp::strings(1);
            sexp::set_string(x, 0, sexp::charsxp_or_na(None));
            x
        }
        STRING | SERIALIZED => {
            let n = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
            let data = take(n)?;
            if tag == STRING {
                sexp::string(std::str::from_utf8(data).ok()?)
            } else {
                return Some(crate::serial::unserialize_sexp(data));
            }
        }
        _ => return None,
    };
    Some(Ok(value))
}

/// Decodes a task's seed and values, calling `each` with every value in
/// order (the seed first). Values are unprotected: `each` protects them.
pub fn decode(bytes: &[u8], mut each: impl FnMut(SEXP)) -> Result<(), String> {
    let mut at = 0;
    while at < bytes.len() {
        match decode_value(bytes, &mut at) {
            Some(Ok(value)) => each(value),
            Some(Err(error)) => return Err(error),
            None => return Err("the task's items are malformed".into()),
        }
    }
    Ok(())
}

thread_local! {
    /// The last batch part this worker read, unserialized once for all the
    /// tasks of its batch (and kept from the garbage collector).
    static PART: std::cell::Cell<Option<(u64, SEXP)>> = const { std::cell::Cell::new(None) };
}

/// The part `id` as an R object: `list(task = <template>, fields = <names
/// of the columns>)`.
fn part(id: u64, bytes: &[u8]) -> Result<SEXP, String> {
    if let Some((kept, object)) = PART.with(|p| p.get()) {
        if kept == id {
            return Ok(object);
        }
        // SAFETY: `object` was preserved when it was kept, and leaves `PART`
        // here.
        unsafe { crate::r::ffi::R_ReleaseObject(object) };
        PART.with(|p| p.set(None));
    }
    let object = crate::serial::unserialize_sexp(bytes)?;
    if sexp::type_of(object) != SEXPTYPE::VECSXP || sexp::len(object) != 2 {
        return Err("the batch part is malformed".into());
    }
    // SAFETY: kept until another part replaces it and releases it.
    unsafe { crate::r::ffi::R_PreserveObject(object) };
    PART.with(|p| p.set(Some((id, object))));
    Ok(object)
}

fn names_of(x: SEXP) -> Vec<String> {
    // SAFETY: `x` is a live list; reading its names allocates nothing.
    let names = unsafe { crate::r::ffi::Rf_getAttrib(x, sexp::names_symbol()) };
    (0..sexp::len(x))
        .map(|i| {
            if sexp::type_of(names) == SEXPTYPE::STRSXP {
                sexp::string_elt(&names, i).unwrap_or("NA").to_string()
            } else {
                String::new()
            }
        })
        .collect()
}

fn named_list(entries: &[(String, SEXP)]) -> SEXP {
    let mut protect = crate::r::sexp::Protect::new();
    let out = protect
        // SAFETY: allocates on R's main thread; the result is protected or
        // returned before anything else allocates.
        .keep(unsafe { crate::r::ffi::Rf_allocVector(SEXPTYPE::VECSXP, entries.len() as isize) });
    let names = protect.keep(sexp::strings(entries.len()));
    for (i, (name, value)) in entries.iter().enumerate() {
        // SAFETY: `out` is a protected list as long as `entries`, whose values
        // the caller keeps alive.
        unsafe { crate::r::ffi::SET_VECTOR_ELT(out, i as isize, *value) };
        sexp::set_string(names, i, sexp::charsxp(name));
    }
    if !entries.is_empty() {
        sexp::set_names(out, names);
    }
    out
}

/// The whole task of a walk: the template of part `part_id` with its
/// `data` updated by this task's values the way `data[[field]] <- value`
/// would (a NULL value removes the field), and its own seed.
pub fn join(part_id: u64, part_bytes: &[u8], payload: &[u8]) -> Result<SEXP, String> {
    let mut protect = crate::r::sexp::Protect::new();
    let shared = part(part_id, part_bytes)?;
    // SAFETY: `shared` is a preserved list of two elements (checked by `part`).
    let template = unsafe { VECTOR_ELT(shared, 0) };
    // SAFETY: `shared` is a preserved list of two elements (checked by `part`).
    let fields = unsafe { VECTOR_ELT(shared, 1) };
    let mut values = Vec::new();
    decode(payload, |value| values.push(protect.keep(value)))?;
    if values.len() != sexp::len(fields) + 1 || sexp::type_of(template) != SEXPTYPE::VECSXP {
        return Err("the task's items do not match its batch".into());
    }
    // SAFETY: `template` is a live list; reading its names allocates nothing.
    let names = unsafe { crate::r::ffi::Rf_getAttrib(template, sexp::names_symbol()) };
    let position = |name: &str| {
        (sexp::type_of(names) == SEXPTYPE::STRSXP)
            .then(|| (0..sexp::len(names)).find(|i| sexp::string_elt(&names, *i) == Some(name)))
            .flatten()
    };
    let data_at = position("data").ok_or("the batch part has no data")?;
    let seed_at = position("seed");
    let mut data: Vec<(String, SEXP)> = {
        // SAFETY: `data_at` is the position of `data` among the template's
        // names, so below its length.
        let data = unsafe { VECTOR_ELT(template, data_at as isize) };
        names_of(data)
            .into_iter()
            .enumerate()
            // SAFETY: `data` is a live list and `i` is below its length (one
            // name per element).
            .map(|(i, name)| (name, unsafe { VECTOR_ELT(data, i as isize) }))
            .collect()
    };
    for (j, value) in values[1..].iter().enumerate() {
        let field = sexp::string_elt(&fields, j).unwrap_or("NA");
        let at = data.iter().position(|(n, _)| n == field);
        match (at, sexp::is_nil(*value)) {
            (Some(at), true) => {
                data.remove(at);
            }
            (Some(at), false) => data[at].1 = *value,
            (None, false) => data.push((field.to_string(), *value)),
            (None, true) => {}
        }
    }
    let data = protect.keep(named_list(&data));
    // The task is the template with its data and seed replaced: the same
    // elements and the same names vector, so nothing else is rebuilt.
    let n = sexp::len(template);
    // SAFETY: allocates on R's main thread; the result is protected or returned
    // before anything else allocates.
    let task = protect.keep(unsafe { crate::r::ffi::Rf_allocVector(SEXPTYPE::VECSXP, n as isize) });
    for i in 0..n {
        // SAFETY: `task` is a protected list as long as `template`, and `i` is
        // below that.
        unsafe {
            crate::r::ffi::SET_VECTOR_ELT(task, i as isize, VECTOR_ELT(template, i as isize))
        };
    }
    // SAFETY: `task` is protected; `data_at` and `seed_at` are positions in it,
    // and `data` and the seed are protected.
    unsafe {
        crate::r::ffi::SET_VECTOR_ELT(task, data_at as isize, data);
        if let Some(seed_at) = seed_at {
            crate::r::ffi::SET_VECTOR_ELT(task, seed_at as isize, values[0]);
        }
    }
    sexp::set_names(task, names);
    Ok(task)
}
