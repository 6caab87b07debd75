//! A batch of tasks pushed at once (`walk()`): one part that every task of
//! the batch shares, sent once to each worker, and items that make each
//! task's name and own payload only when they are needed. A queued task of
//! a batch therefore costs the dispatcher its slot and nothing else.

use std::sync::Arc;

/// What distinguishes the tasks of a batch. Implementations hold plain
/// data; the dispatcher calls them under its lock from any thread.
pub trait Items: Send + Sync {
    /// How many tasks the batch has.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The name of task `index`.
    fn name(&self, index: usize) -> String;
    /// The index of the task of this name, if the batch has one.
    fn find(&self, name: &str) -> Option<usize>;
    /// The payload of task `index`, to be joined with the shared part.
    fn payload(&self, index: usize) -> Vec<u8>;
}

/// A batch as the dispatcher keeps it.
pub struct Batch {
    /// The id of its part on the wire (never 0).
    pub(crate) part: u64,
    pub(crate) shared: Arc<Vec<u8>>,
    pub(crate) items: Box<dyn Items>,
    /// The id of its first task; task `first + i` is item `i`.
    pub(crate) first: u64,
}

impl Batch {
    pub(crate) fn index(&self, task_id: u64) -> usize {
        (task_id - self.first) as usize
    }
}
