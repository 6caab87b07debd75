//! The FIFO queue of tasks waiting for a worker.

use std::collections::VecDeque;

/// Queued task ids, oldest first, as ranges `start..end` (a batch is one
/// range, so queuing it is O(1)).
///
/// Invariant: `live` is the number of ids in `ranges` whose task is still
/// queued. A task that leaves the queue other than by [`TaskQueue::pop`]
/// (cancelled, timed out) is reported with [`TaskQueue::left`] and its id
/// stays, stale, until it reaches the front, where `pop` skips it.
pub(super) struct TaskQueue {
    ranges: VecDeque<(u64, u64)>,
    live: usize,
}

impl TaskQueue {
    pub(super) fn new() -> TaskQueue {
        TaskQueue {
            ranges: VecDeque::new(),
            live: 0,
        }
    }

    /// How many tasks are queued.
    pub(super) fn len(&self) -> usize {
        self.live
    }

    pub(super) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Queues the tasks `start..end` behind the others.
    pub(super) fn push_back(&mut self, start: u64, end: u64) {
        self.ranges.push_back((start, end));
        self.live += (end - start) as usize;
    }

    /// Queues a task in front of the others.
    pub(super) fn push_front(&mut self, task_id: u64) {
        self.ranges.push_front((task_id, task_id + 1));
        self.live += 1;
    }

    /// The oldest task still queued; `queued` tells whether a task is.
    pub(super) fn pop(&mut self, queued: impl Fn(u64) -> bool) -> Option<u64> {
        while let Some(range) = self.ranges.front_mut() {
            let id = range.0;
            range.0 += 1;
            if range.0 >= range.1 {
                self.ranges.pop_front();
            }
            if queued(id) {
                self.live -= 1;
                return Some(id);
            }
        }
        None
    }

    /// A queued task left the queue without being popped.
    pub(super) fn left(&mut self) {
        self.live -= 1;
    }

    /// Panics unless the invariant documented on the type holds, with
    /// `queued` telling whether a task is queued.
    #[cfg(test)]
    pub(super) fn assert_invariants(&self, queued: impl Fn(u64) -> bool) {
        let live = self.ranges.iter().flat_map(|&(start, end)| start..end);
        assert_eq!(
            self.live,
            live.filter(|id| queued(*id)).count(),
            "queued tasks"
        );
    }

    /// Drops the stale ids once no task is queued.
    pub(super) fn clear_if_empty(&mut self) {
        if self.is_empty() {
            self.ranges.clear();
        }
    }
}
