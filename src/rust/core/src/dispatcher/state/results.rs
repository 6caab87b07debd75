//! Resolved tasks waiting to be taken, in the order they resolved, and
//! large results still arriving, for a thread that reads one early.

use crate::incoming::Incoming;
use std::collections::VecDeque;
use std::sync::{Arc, Weak};

/// How many stale ids `order` may hold beyond twice the live ones before
/// they are dropped.
const STALE_SLACK: usize = 64;

/// Resolved task ids, oldest first, and the results still arriving.
///
/// Invariants, kept by every method:
/// - `waiting` is the number of resolved tasks not yet taken, and each of
///   their ids is in `order` once, in resolution order (except the one
///   just popped by [`ResultQueue::pop`], until its taking is reported);
/// - the other ids in `order` are stale (their tasks were taken by name):
///   they are skipped when popped, and dropped when a taking leaves more
///   than `2 * waiting + STALE_SLACK` ids, so `order` stays proportional
///   to the tasks still waiting.
pub(super) struct ResultQueue {
    order: VecDeque<u64>,
    waiting: usize,
    /// Large results whose bytes began to arrive; weak, so a result
    /// nobody reads early costs nothing here once it is dropped.
    arriving: VecDeque<Weak<Incoming>>,
}

impl ResultQueue {
    pub(super) fn new() -> ResultQueue {
        ResultQueue {
            order: VecDeque::new(),
            waiting: 0,
            arriving: VecDeque::new(),
        }
    }

    /// How many resolved tasks are waiting to be taken.
    pub(super) fn waiting(&self) -> usize {
        self.waiting
    }

    /// A task resolved.
    pub(super) fn push(&mut self, task_id: u64) {
        self.order.push_back(task_id);
        self.waiting += 1;
    }

    /// The oldest id in resolution order, which may be stale; if it is
    /// not, the caller takes the task and reports it with
    /// [`ResultQueue::taken`].
    pub(super) fn pop(&mut self) -> Option<u64> {
        self.order.pop_front()
    }

    /// A resolved task was taken (by name or after [`ResultQueue::pop`]);
    /// `held` tells whether a task id is still held, for dropping stale
    /// ids.
    pub(super) fn taken(&mut self, held: impl Fn(u64) -> bool) {
        self.waiting -= 1;
        if self.order.len() > 2 * self.waiting + STALE_SLACK {
            self.order.retain(|id| held(*id));
        }
    }

    /// A large result started to arrive.
    pub(super) fn arriving(&mut self, incoming: &Arc<Incoming>) {
        self.arriving.retain(|weak| weak.strong_count() > 0);
        self.arriving.push_back(Arc::downgrade(incoming));
    }

    /// The oldest large result still arriving or arrived that no thread
    /// took for reading yet.
    pub(super) fn take_arriving(&mut self) -> Option<Arc<Incoming>> {
        while let Some(weak) = self.arriving.pop_front() {
            if let Some(incoming) = weak.upgrade() {
                return Some(incoming);
            }
        }
        None
    }

    /// Panics unless the invariants documented on the type hold, with
    /// `resolved` telling whether a task id is held and resolved.
    #[cfg(test)]
    pub(super) fn assert_invariants(&self, resolved: impl Fn(u64) -> bool) {
        let waiting = self.order.iter().filter(|id| resolved(**id)).count();
        assert_eq!(self.waiting, waiting, "resolved tasks waiting");
        let mut ids: Vec<u64> = self.order.iter().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(
            ids.len(),
            self.order.len(),
            "an id twice in resolution order"
        );
    }

    /// How many ids `order` holds, stale ones included.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.order.len()
    }
}
