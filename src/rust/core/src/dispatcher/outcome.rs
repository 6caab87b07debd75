//! How a task ended, and what a task handle sees of it.

use crate::protocol::ResultMeta;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

/// Code of a task whose worker's connection dropped.
pub const CODE_CRASH: i32 = 19;
/// Code of a cancelled task.
pub const CODE_CANCEL: i32 = 20;
/// Code of a task that exceeded its own timeout.
pub const CODE_TIMEOUT: i32 = 5;

/// How a task ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// 0 or -1 from the worker; 19 crash, 20 cancel, 5 timeout otherwise.
    pub code: i32,
    /// The worker's metadata, absent when the task never finished there.
    pub meta: Option<ResultMeta>,
    /// The serialized value, empty when `meta` is absent.
    pub payload: Vec<u8>,
    /// For a crash, the process id the worker reported when it joined, so
    /// the caller can ask the operating system how that process ended.
    pub worker_pid: Option<u32>,
}

impl Outcome {
    pub(crate) fn code_only(code: i32) -> Outcome {
        Outcome {
            code,
            meta: None,
            payload: Vec::new(),
            worker_pid: None,
        }
    }
}

/// A resolved task handed back to the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Taken {
    pub name: Arc<str>,
    pub outcome: Arc<Outcome>,
}

/// What a task handle sees: the outcome once the task resolves, kept for as
/// long as the handle lives, even after the result has been taken. One
/// pointer wide, since a walk makes one per task.
#[derive(Debug, Default)]
pub struct TaskCell {
    /// Null until filled; then the pointer of an `Arc<Outcome>` this cell
    /// owns one count of.
    outcome: AtomicPtr<Outcome>,
}

impl TaskCell {
    /// Keeps the outcome of the resolved task (the first one given).
    pub(crate) fn fill(&self, outcome: Arc<Outcome>) {
        let ptr = Arc::into_raw(outcome) as *mut Outcome;
        if self
            .outcome
            .compare_exchange(
                std::ptr::null_mut(),
                ptr,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // Already filled: give this count back.
            drop(unsafe { Arc::from_raw(ptr) });
        }
    }

    /// The outcome, once the task has resolved.
    pub fn outcome(&self) -> Option<Arc<Outcome>> {
        let ptr = self.outcome.load(Ordering::Acquire);
        if ptr.is_null() {
            return None;
        }
        // The cell keeps its count for as long as `self` lives, so the
        // pointer is valid; this adds the caller's.
        unsafe {
            Arc::increment_strong_count(ptr);
            Some(Arc::from_raw(ptr))
        }
    }
}

impl Drop for TaskCell {
    fn drop(&mut self) {
        let ptr = *self.outcome.get_mut();
        if !ptr.is_null() {
            drop(unsafe { Arc::from_raw(ptr) });
        }
    }
}

/// The cells of the handles made together: one for a `push()`, one per
/// task for a `walk()`, so a walk's handles share one allocation.
#[derive(Debug)]
pub struct Cells(Box<[TaskCell]>);

impl Cells {
    pub fn new(n: usize) -> Arc<Cells> {
        Arc::new(Cells((0..n).map(|_| TaskCell::default()).collect()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&TaskCell> {
        self.0.get(index)
    }
}
