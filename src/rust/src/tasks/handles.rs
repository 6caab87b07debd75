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

use crate::r::ffi::{
    R_ExternalPtrAddr, R_ExternalPtrProtected, R_ExternalPtrTag, R_MakeExternalPtr, Rf_allocVector,
    SET_VECTOR_ELT, SEXP, SEXPTYPE, STRING_ELT, TYPEOF,
};
use crate::r::ffi::{R_MakeWeakRef, R_WeakRefKey};
use crate::r::sexp::{self, Protect};
use crate::serial::hooks::{self as serial_hooks, Hooks};
use crate::tasks::result_rows::rows;
use crew_core::dispatcher::{Cells, Taken};
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
    // SAFETY: `x` is a protected external pointer; its protected value keeps
    // `controller` alive.
    unsafe { crate::r::ffi::R_SetExternalPtrProtected(x, controller) };
    x
}

/// The handle on cell `index` of `owner`, for the task named `name` (a
/// CHARSXP).
pub fn handle(owner: SEXP, index: usize, name: SEXP) -> SEXP {
    // SAFETY: the caller keeps `owner` and `name` alive; the new pointer is
    // protected while its class is set.
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
        // SAFETY: `owner` is protected and `holder` is the live dispatcher
        // handle; the weak reference is stored at once.
        unsafe {
            let weak = R_MakeWeakRef(owner, sexp::nil(), sexp::nil(), 0);
            crate::r::ffi::R_SetExternalPtrProtected(holder, weak);
        }
        *current = Some((Arc::downgrade(&cells), 1));
        (cells, 0, owner)
    }
}

/// The owner of the current chunk, if the garbage collector has not freed
/// it: the key of the weak reference `holder` keeps.
fn current_owner(holder: SEXP) -> SEXP {
    // SAFETY: `holder` is the live dispatcher handle; a weak reference's key is
    // read only after its type is checked.
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
    sexp::external_ref::<Owner>(&x, tag).is_some_and(|owner| Arc::ptr_eq(&owner.cells, cells))
}

/// Handles on every cell of `cells`, named by `names` (a character vector
/// as long as `cells`).
pub fn handles(cells: Arc<Cells>, names: SEXP, controller: SEXP, hooks: Option<Rc<Hooks>>) -> SEXP {
    let n = cells.len();
    let mut protect = Protect::new();
    let owner = protect.keep(owner(cells, controller, hooks));
    // SAFETY: allocates on R's main thread; the result is protected or returned
    // before anything else allocates.
    let out = protect.keep(unsafe { Rf_allocVector(SEXPTYPE::VECSXP, n as isize) });
    for i in 0..n {
        // SAFETY: `names` is a character vector as long as `cells` and `i` is
        // below that.
        let name = unsafe { STRING_ELT(names, i as isize) };
        // SAFETY: `out` is a protected list of `n` elements and `i < n`; the
        // handle is stored before anything else allocates.
        unsafe { SET_VECTOR_ELT(out, i as isize, handle(owner, i, name)) };
    }
    sexp::set_names(out, names);
    out
}

/// The owner, cell index and name of a handle of this package.
fn parts(x: &SEXP) -> Option<(&Owner, SEXP, usize, SEXP)> {
    let x = *x;
    if sexp::type_of(x) != SEXPTYPE::EXTPTRSXP {
        return None;
    }
    // SAFETY: `x` is a live external pointer (checked above); these only
    // read its fields.
    let (owner_sexp, address, name) = unsafe {
        (
            R_ExternalPtrProtected(x),
            R_ExternalPtrAddr(x),
            R_ExternalPtrTag(x),
        )
    };
    // SAFETY: the owner is the protected value of `x`, so it lives at
    // least as long as `x`, which the caller holds for the borrow.
    let owner =
        unsafe { sexp::external_value::<Owner>(owner_sexp, CONSTANTS.with(|c| c.owner_tag)) }?;
    let index = (address as usize).checked_sub(1)?;
    if index >= owner.cells.len() || sexp::type_of(name) != SEXPTYPE::CHARSXP {
        return None;
    }
    // SAFETY: `owner_sexp` is a live external pointer (its value was found
    // above); this reads its protected value, the controller's name.
    let controller = unsafe { R_ExternalPtrProtected(owner_sexp) };
    Some((owner, controller, index, name))
}

/// The cells and index a handle of this package watches.
pub fn cell_of(x: SEXP) -> Option<(Arc<Cells>, usize)> {
    parts(&x).map(|(owner, _, index, _)| (owner.cells.clone(), index))
}

/// The result row of a handle's task, NULL while it is unresolved, or
/// `None` if `x` is not a task handle of this package.
pub fn row(x: SEXP) -> Option<SEXP> {
    let (owner, controller, index, name) = parts(&x)?;
    let Some(outcome) = owner.cells.get(index).and_then(|cell| cell.outcome()) else {
        return Some(sexp::nil());
    };
    serial_hooks::use_hooks(owner.hooks.clone());
    let taken = [Taken {
        name: Arc::from(sexp::charsxp_str(&name).unwrap_or("")),
        outcome,
    }];
    Some(rows(&taken, controller, None, None))
}

/// The name of a handle's task as a character vector, or `None` if `x` is
/// not a task handle of this package.
pub fn name(x: SEXP) -> Option<SEXP> {
    let (_, _, _, name) = parts(&x)?;
    let out = sexp::strings(1);
    sexp::set_string(out, 0, name);
    Some(out)
}
