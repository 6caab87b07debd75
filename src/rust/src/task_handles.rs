//! Task handles: what `push()` and `walk()` return and `controller$tasks`
//! lists. The handles made together (one push, one walk) share an owner:
//! an external pointer holding the cells where the dispatcher puts their
//! tasks' outcomes, and the controller's name. A handle is an external
//! pointer of class `crew_task` whose address is its cell's index (plus
//! one), whose tag is its task's name (the string R already holds for the
//! names of the returned list) and whose protected value is its owner. So
//! a handle costs R one external pointer and one attribute node, and a
//! walk of a million tasks does not register a million finalizers.
//!
//! Tasks pushed one at a time take their cells from chunks (see
//! [`CellArena`]), so a push does not register a finalizer either.
//!
//! A handle read back with `readRDS()` has a null address and an owner
//! without its value, and is refused.

use crate::records::{invalid_argument, with_guard};
use crate::result_rows::rows;
use crate::serial_hooks::{self, Hooks};
use crate::sexp::ffi::{R_MakeWeakRef, R_WeakRefKey};
use crate::sexp::{self, Protect};
use crew_core::dispatcher::{Cells, Taken};
use extendr_ffi::{
    R_ExternalPtrAddr, R_ExternalPtrProtected, R_ExternalPtrTag, R_MakeExternalPtr, Rf_allocVector,
    SET_VECTOR_ELT, SEXP, SEXPTYPE, STRING_ELT, TYPEOF,
};
use std::ffi::c_void;
use std::rc::Rc;
use std::sync::{Arc, Weak};

struct Owner {
    cells: Arc<Cells>,
    /// The controller's serialization hooks, for reading results.
    hooks: Option<Rc<Hooks>>,
}

struct Constants {
    owner_tag: SEXP,
    class: SEXP,
}

thread_local! {
    static CONSTANTS: Constants = Constants {
        owner_tag: sexp::symbol(c"crew_task_handles"),
        class: sexp::preserved_strings(&["crew_task", "mirai"]),
    };
}

/// The owner of handles on `cells`, for rows named after `controller` (a
/// string) when no worker wrote them.
pub fn owner(cells: Arc<Cells>, controller: SEXP, hooks: Option<Rc<Hooks>>) -> SEXP {
    let tag = CONSTANTS.with(|c| c.owner_tag);
    let mut protect = Protect::new();
    let x = protect.keep(sexp::external(Owner { cells, hooks }, tag, false));
    unsafe { extendr_ffi::R_SetExternalPtrProtected(x, controller) };
    x
}

/// The handle on cell `index` of `owner`, for the task named `name` (a
/// CHARSXP).
pub fn handle(owner: SEXP, index: usize, name: SEXP) -> SEXP {
    unsafe {
        let mut protect = Protect::new();
        let x = protect.keep(R_MakeExternalPtr((index + 1) as *mut c_void, name, owner));
        sexp::set_class(x, CONSTANTS.with(|c| c.class));
        x
    }
}

/// How many cells a chunk of the arena has: a chunk lives while any of its
/// handles does, so a kept handle keeps 2 KB and the outcomes of the
/// chunk's tasks.
const CHUNK: usize = 256;

/// Cells for the handles of tasks pushed one at a time, handed out in
/// chunks that share one owner. The arena holds the current chunk only
/// weakly, and so does the dispatcher handle its owner: once the handles
/// of a chunk are gone, the garbage collector frees it, and with it the
/// results its tasks returned, which nothing else can read any more.
#[derive(Default)]
pub struct CellArena {
    current: std::cell::RefCell<Option<(Weak<Cells>, usize)>>,
}

impl CellArena {
    /// The next free cell and the owner its handle must keep. `holder` is
    /// an external pointer whose protected value is a weak reference to
    /// the owner of the current chunk.
    pub fn next(
        &self,
        holder: SEXP,
        controller: SEXP,
        hooks: &Option<Rc<Hooks>>,
    ) -> (Arc<Cells>, usize, SEXP) {
        let mut current = self.current.borrow_mut();
        if let Some((weak, next)) = current.as_mut() {
            if let Some(cells) = weak.upgrade() {
                let owner = current_owner(holder);
                if *next < cells.len() && is_owner_of(owner, &cells) {
                    *next += 1;
                    return (cells, *next - 1, owner);
                }
            }
        }
        let cells = Cells::new(CHUNK);
        let mut protect = Protect::new();
        let owner = protect.keep(owner(cells.clone(), controller, hooks.clone()));
        unsafe {
            let weak = R_MakeWeakRef(owner, sexp::nil(), sexp::nil(), 0);
            extendr_ffi::R_SetExternalPtrProtected(holder, weak);
        }
        *current = Some((Arc::downgrade(&cells), 1));
        (cells, 0, owner)
    }
}

/// The owner of the current chunk, if the garbage collector has not freed
/// it: the key of the weak reference `holder` keeps.
fn current_owner(holder: SEXP) -> SEXP {
    unsafe {
        let weak = R_ExternalPtrProtected(holder);
        if TYPEOF(weak) == SEXPTYPE::WEAKREFSXP {
            R_WeakRefKey(weak)
        } else {
            sexp::nil()
        }
    }
}

fn is_owner_of(x: SEXP, cells: &Arc<Cells>) -> bool {
    let tag = CONSTANTS.with(|c| c.owner_tag);
    sexp::external_ref::<Owner>(x, tag).is_some_and(|owner| Arc::ptr_eq(&owner.cells, cells))
}

/// Handles on every cell of `cells`, named by `names` (a character vector
/// as long as `cells`).
pub fn handles(cells: Arc<Cells>, names: SEXP, controller: SEXP, hooks: Option<Rc<Hooks>>) -> SEXP {
    let n = cells.len();
    let mut protect = Protect::new();
    let owner = protect.keep(owner(cells, controller, hooks));
    let out = protect.keep(unsafe { Rf_allocVector(SEXPTYPE::VECSXP, n as isize) });
    for i in 0..n {
        let name = unsafe { STRING_ELT(names, i as isize) };
        unsafe { SET_VECTOR_ELT(out, i as isize, handle(owner, i, name)) };
    }
    sexp::set_names(out, names);
    out
}

/// The owner, cell index and name of a handle of this package.
fn parts<'a>(x: SEXP) -> Option<(&'a Owner, SEXP, usize, SEXP)> {
    unsafe {
        if TYPEOF(x) != SEXPTYPE::EXTPTRSXP {
            return None;
        }
        let owner_sexp = R_ExternalPtrProtected(x);
        let owner = sexp::external_ref::<Owner>(owner_sexp, CONSTANTS.with(|c| c.owner_tag))?;
        let index = (R_ExternalPtrAddr(x) as usize).checked_sub(1)?;
        let name = R_ExternalPtrTag(x);
        if index >= owner.cells.len() || TYPEOF(name) != SEXPTYPE::CHARSXP {
            return None;
        }
        Some((owner, R_ExternalPtrProtected(owner_sexp), index, name))
    }
}

/// The cells and index a handle of this package watches.
pub fn cell_of(x: SEXP) -> Option<(Arc<Cells>, usize)> {
    parts(x).map(|(owner, _, index, _)| (owner.cells.clone(), index))
}

fn not_a_handle() -> SEXP {
    invalid_argument("x must be a task handle of this package")
}

/// The result row of a handle's task, or NULL while it is unresolved.
#[no_mangle]
pub extern "C" fn wrap__native_task_row(x: SEXP) -> SEXP {
    with_guard(|| {
        let Some((owner, controller, index, name)) = parts(x) else {
            return not_a_handle();
        };
        let Some(outcome) = owner.cells.get(index).and_then(|cell| cell.outcome()) else {
            return sexp::nil();
        };
        serial_hooks::use_hooks(owner.hooks.clone());
        let taken = [Taken {
            name: Arc::from(sexp::charsxp_str(name).unwrap_or("")),
            outcome,
        }];
        rows(&taken, controller, None, None)
    })
}

/// The name of a handle's task.
#[no_mangle]
pub extern "C" fn wrap__native_task_name(x: SEXP) -> SEXP {
    with_guard(|| match parts(x) {
        Some((_, _, _, name)) => {
            let out = sexp::strings(1);
            sexp::set_string(out, 0, name);
            out
        }
        None => not_a_handle(),
    })
}

pub fn routines() -> Vec<(&'static str, *const u8, usize)> {
    vec![
        (
            "wrap__native_task_row",
            wrap__native_task_row as *const u8,
            1,
        ),
        (
            "wrap__native_task_name",
            wrap__native_task_name as *const u8,
            1,
        ),
    ]
}
