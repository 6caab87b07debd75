//! The parts of R's serialization format (binary, version 3) that both the
//! native writer (`serial/write.rs`) and reader (`serial/read.rs`) use: the
//! codes of references and of R's special objects, and the flag bits of an
//! item's header.

use crate::r::ffi::{
    R_BaseEnv, R_BaseNamespace, R_EmptyEnv, R_GlobalEnv, R_MissingArg, R_NilValue, R_UnboundValue,
    SEXP,
};

/// A reference to an earlier symbol (its index in the high bits).
pub const REFSXP: i32 = 255;
pub const NILVALUE_SXP: i32 = 254;
const GLOBALENV_SXP: i32 = 253;
const UNBOUNDVALUE_SXP: i32 = 252;
const MISSINGARG_SXP: i32 = 251;
const BASENAMESPACE_SXP: i32 = 250;
const EMPTYENV_SXP: i32 = 242;
const BASEENV_SXP: i32 = 241;

pub const IS_OBJECT_BIT: i32 = 1 << 8;
pub const HAS_ATTR_BIT: i32 = 1 << 9;
pub const HAS_TAG_BIT: i32 = 1 << 10;

/// R's special objects with the codes that stand for them.
fn specials() -> [(SEXP, i32); 7] {
    // SAFETY: reads R's special objects, set when R starts.
    unsafe {
        [
            (R_NilValue, NILVALUE_SXP),
            (R_GlobalEnv, GLOBALENV_SXP),
            (R_EmptyEnv, EMPTYENV_SXP),
            (R_BaseEnv, BASEENV_SXP),
            (R_UnboundValue, UNBOUNDVALUE_SXP),
            (R_MissingArg, MISSINGARG_SXP),
            (R_BaseNamespace, BASENAMESPACE_SXP),
        ]
    }
}

/// The code written for `x` if it is one of R's special objects.
pub fn special_code(x: SEXP) -> Option<i32> {
    specials()
        .into_iter()
        .find(|(object, _)| *object == x)
        .map(|(_, code)| code)
}

/// The special object a code stands for.
pub fn special_object(code: i32) -> Option<SEXP> {
    specials()
        .into_iter()
        .find(|(_, c)| *c == code)
        .map(|(object, _)| object)
}
