//! R's C API and the glue around it. [`ffi`] is the only place that
//! declares R's functions and variables; the other modules here wrap what
//! the rest of the crate needs: building and reading R objects and
//! protecting them ([`sexp`]), condition records and the panic guard
//! ([`records`]), conversions and sliced waits for extendr functions
//! ([`convert`]), interrupts of a worker's running task ([`interrupts`]),
//! callbacks on `later`'s loops ([`later_loop`]) and a worker's idle
//! garbage collection ([`idle_collection`]).
//!
//! Everything here runs on R's main thread, the only thread that may call
//! R. Helpers that take a `SEXP` are safe functions under that rule and one
//! more: the `SEXP` is a live R object (an argument of the current
//! `.Call`, or protected or preserved by the caller).

pub mod convert;
pub mod ffi;
pub mod idle_collection;
pub mod interrupts;
pub mod later_loop;
pub mod records;
pub mod sexp;
