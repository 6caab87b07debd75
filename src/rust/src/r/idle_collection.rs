//! A worker collects R's garbage while it is idle after a task that moved a
//! large object.
//!
//! The task's data and value stay allocated until R's collector runs, and
//! R runs it when the next large allocation needs room: freeing 100 MB
//! takes about 30 ms here, so the next large task would start that much
//! later. Collected while the worker waits (for example while the next
//! task's bytes are still arriving), that cost leaves the task's path.

use crate::r::ffi::R_gc;
use std::cell::Cell;

/// Tasks whose data or value reach this size are followed by a collection.
const LARGE_TASK: usize = 16 << 20;

thread_local! {
    static MOVED: Cell<usize> = const { Cell::new(0) };
}

/// Records that the current task moved `bytes` (its data or its value).
pub fn moved(bytes: usize) {
    MOVED.with(|m| m.set(m.get().max(bytes)));
}

/// Whether the last task moved a large object; resets the record.
pub fn due() -> bool {
    MOVED.with(|m| m.replace(0)) >= LARGE_TASK
}

/// Runs R's collector. Only on R's main thread, outside any task.
pub fn collect() {
    // SAFETY: R's main thread, between tasks: every object still in use is
    // protected or reachable.
    unsafe { R_gc() };
}
