//! How a task ended, and what a task handle sees of it.

use crate::incoming::Payload;
use crate::protocol::ResultMeta;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Code of a task whose worker's connection dropped.
pub const CODE_CRASH: i32 = 19;
/// Code of a cancelled task.
pub const CODE_CANCEL: i32 = 20;
/// Code of a task that exceeded its own timeout.
pub const CODE_TIMEOUT: i32 = 5;

/// How a task ended.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    /// 0 or -1 from the worker; 19 crash, 20 cancel, 5 timeout otherwise.
    pub code: i32,
    /// The worker's metadata, absent when the task never finished there.
    pub meta: Option<ResultMeta>,
    /// The serialized value, empty when `meta` is absent; a large one is
    /// kept in the pieces it arrived in.
    pub payload: Payload,
    /// For a crash, the process id the worker reported when it joined, so
    /// the caller can ask the operating system how that process ended.
    pub worker_pid: Option<u32>,
}

impl Outcome {
    pub(crate) fn code_only(code: i32) -> Outcome {
        Outcome {
            code,
            meta: None,
            payload: Payload::Whole(Vec::new()),
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

/// Something to run once a watched cell is filled (on the thread that
/// resolved the task, under the dispatcher's lock: it must be quick, such
/// as scheduling work on another thread).
pub type Waker = Box<dyn FnOnce() + Send>;

/// The cells of the handles made together: one for a `push()`, one per
/// task for a `walk()`, so a walk's handles share one allocation. A cell
/// may be watched: its waker runs when the outcome arrives.
pub struct Cells {
    cells: Box<[TaskCell]>,
    watchers: Mutex<Vec<(usize, Waker)>>,
    /// How many wakers wait, so that filling an unwatched cell takes no lock.
    watched: AtomicUsize,
}

impl std::fmt::Debug for Cells {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cells")
            .field("len", &self.cells.len())
            .finish_non_exhaustive()
    }
}

impl Cells {
    pub fn new(n: usize) -> Arc<Cells> {
        Arc::new(Cells {
            cells: (0..n).map(|_| TaskCell::default()).collect(),
            watchers: Mutex::new(Vec::new()),
            watched: AtomicUsize::new(0),
        })
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&TaskCell> {
        self.cells.get(index)
    }

    /// Runs `waker` once cell `index` is filled. Returns `false` (and drops
    /// the waker) if it already is, or if there is no such cell.
    pub fn watch(&self, index: usize, waker: Waker) -> bool {
        let Some(cell) = self.cells.get(index) else {
            return false;
        };
        let mut watchers = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
        // Checked under the lock that `fill` takes after filling, so a
        // waker added here is either seen by `fill` or not needed.
        if cell.outcome().is_some() {
            return false;
        }
        watchers.push((index, waker));
        self.watched.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// Fills cell `index` and runs the wakers that watch it.
    pub(crate) fn fill(&self, index: usize, outcome: Arc<Outcome>) {
        let Some(cell) = self.cells.get(index) else {
            return;
        };
        cell.fill(outcome);
        if self.watched.load(Ordering::SeqCst) == 0 {
            return;
        }
        let ready: Vec<Waker> = {
            let mut watchers = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
            let (ready, waiting): (Vec<_>, Vec<_>) =
                watchers.drain(..).partition(|(i, _)| *i == index);
            *watchers = waiting;
            self.watched.fetch_sub(ready.len(), Ordering::SeqCst);
            ready.into_iter().map(|(_, waker)| waker).collect()
        };
        for waker in ready {
            waker();
        }
    }
}
