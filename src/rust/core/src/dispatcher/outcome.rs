//! How a task ended, and what a task handle sees of it.

use crate::protocol::ResultMeta;
use std::sync::{Arc, OnceLock};

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
/// long as the handle lives, even after the result has been taken.
#[derive(Debug, Default)]
pub struct TaskCell {
    outcome: OnceLock<Arc<Outcome>>,
}

impl TaskCell {
    /// Keeps the outcome of the resolved task (the first one given).
    pub(crate) fn fill(&self, outcome: Arc<Outcome>) {
        let _ = self.outcome.set(outcome);
    }

    /// The outcome, once the task has resolved.
    pub fn outcome(&self) -> Option<Arc<Outcome>> {
        self.outcome.get().cloned()
    }
}

/// The cells of the handles made together: one for a `push()`, one per
/// task for a `walk()`, so a walk's handles share one allocation.
#[derive(Debug)]
pub struct Cells(Box<[TaskCell]>);

impl Cells {
    pub(crate) fn new(n: usize) -> Arc<Cells> {
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
