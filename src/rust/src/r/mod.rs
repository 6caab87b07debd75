pub mod convert;
pub mod ffi;
pub mod idle_collection;
pub mod interrupts;
pub mod later_loop;
pub mod records;
pub mod sexp;
