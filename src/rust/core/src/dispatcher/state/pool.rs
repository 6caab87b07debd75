//! The workers connected to one dispatcher, each filed under what it can
//! do next, so that finding a worker for a task is O(1).

use super::WORKER_SLOTS;
use crate::protocol::Link;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// What a worker can do next, each with a line of the workers filed under
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Filing {
    /// Nothing assigned: it can run a task now.
    Idle,
    /// Runs a task and has room behind it.
    Open,
    /// Holds a task behind the one it runs, which may be taken back.
    Holding,
}

impl Filing {
    const ALL: [Filing; 3] = [Filing::Idle, Filing::Open, Filing::Holding];

    fn index(self) -> usize {
        self as usize
    }

    /// Whether a worker with `assigned` tasks in its line belongs here.
    fn fits(self, assigned: usize) -> bool {
        match self {
            Filing::Idle => assigned == 0,
            Filing::Open => (1..WORKER_SLOTS).contains(&assigned),
            Filing::Holding => assigned >= 2,
        }
    }

    /// Whether a worker filed here can be given what the filing offers
    /// now: it still fits, no revocation is pending on it (which matters
    /// once it holds tasks) and its connection is open.
    fn usable(self, w: &Worker) -> bool {
        self.fits(w.assigned.len())
            && (self == Filing::Idle || w.revoking.is_none())
            && !w.link.is_closed()
    }
}

/// One connected worker.
pub(super) struct Worker {
    pub(super) link: Arc<Link>,
    pub(super) pid: u32,
    /// The batch part last sent to this worker (0: none).
    pub(super) part_sent: u64,
    /// Tasks sent and not yet answered, in the order sent.
    assigned: VecDeque<u64>,
    /// The held task a revocation was sent for, until the worker answers.
    revoking: Option<u64>,
    /// Whether the worker may receive tasks (its welcome was sent).
    ready: bool,
    /// Whether its id is in the line of each filing.
    filed: [bool; 3],
}

impl Worker {
    /// Tasks sent and not yet answered, in the order sent: the first runs.
    pub(super) fn assigned(&self) -> &VecDeque<u64> {
        &self.assigned
    }
}

/// The workers, by id, and the lines they are filed in.
///
/// Invariants, kept by every method:
/// - `idle_count` is the number of ready workers with nothing assigned;
/// - `revocations` is the number of workers with a revocation pending;
/// - a worker's `filed[f]` is set exactly while its id is in `lines[f]`,
///   so it is there at most once. An entry whose worker left or no longer
///   fits is stale: it is skipped when popped, which keeps filing O(1).
pub(super) struct WorkerPool {
    workers: HashMap<u64, Worker>,
    lines: [VecDeque<u64>; 3],
    idle_count: usize,
    revocations: usize,
    next_id: u64,
}

impl WorkerPool {
    pub(super) fn new() -> WorkerPool {
        WorkerPool {
            workers: HashMap::new(),
            lines: Default::default(),
            idle_count: 0,
            revocations: 0,
            next_id: 1,
        }
    }

    /// How many workers are connected.
    pub(super) fn len(&self) -> usize {
        self.workers.len()
    }

    /// How many ready workers have nothing assigned.
    pub(super) fn idle_count(&self) -> usize {
        self.idle_count
    }

    /// How many revocations are pending.
    pub(super) fn revocations(&self) -> usize {
        self.revocations
    }

    pub(super) fn get(&self, worker_id: u64) -> Option<&Worker> {
        self.workers.get(&worker_id)
    }

    /// Adds a worker, not ready yet; returns its id.
    pub(super) fn join(&mut self, link: Arc<Link>, pid: u32) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.workers.insert(
            id,
            Worker {
                link,
                pid,
                part_sent: 0,
                assigned: VecDeque::with_capacity(WORKER_SLOTS),
                revoking: None,
                ready: false,
                filed: [false; 3],
            },
        );
        id
    }

    /// Lets the worker receive tasks; returns whether it was not ready yet.
    pub(super) fn ready(&mut self, worker_id: u64) -> bool {
        let Some(w) = self.workers.get_mut(&worker_id).filter(|w| !w.ready) else {
            return false;
        };
        w.ready = true;
        self.idle_count += 1;
        self.file(worker_id);
        true
    }

    /// Files a worker under what it can do next, after its line changed.
    pub(super) fn file(&mut self, worker_id: u64) {
        let Some(w) = self.workers.get_mut(&worker_id) else {
            return;
        };
        let n = w.assigned.len();
        for filing in Filing::ALL {
            let i = filing.index();
            if filing.fits(n) && !w.filed[i] {
                w.filed[i] = true;
                self.lines[i].push_back(worker_id);
            }
        }
    }

    /// The first worker in the line of `filing` that can be given what
    /// the filing offers, if any; stale entries before it are dropped.
    pub(super) fn pop(&mut self, filing: Filing) -> Option<u64> {
        let i = filing.index();
        while let Some(id) = self.lines[i].pop_front() {
            let Some(w) = self.workers.get_mut(&id) else {
                continue;
            };
            w.filed[i] = false;
            if filing.usable(w) {
                return Some(id);
            }
        }
        None
    }

    /// Adds a task to the end of a worker's line. Returns whether the
    /// worker runs it (its line was empty), and the worker.
    pub(super) fn give(&mut self, worker_id: u64, task_id: u64) -> Option<(bool, &mut Worker)> {
        let w = self.workers.get_mut(&worker_id)?;
        let runs = w.assigned.is_empty();
        if runs {
            self.idle_count -= 1;
        }
        w.assigned.push_back(task_id);
        Some((runs, w))
    }

    /// Marks the last task held by the first worker filed as holding, for
    /// taking back; returns that worker's link and the task.
    pub(super) fn revoke(&mut self) -> Option<(Arc<Link>, u64)> {
        let worker_id = self.pop(Filing::Holding)?;
        let w = self.workers.get_mut(&worker_id)?;
        let held = *w.assigned.back()?;
        w.revoking = Some(held);
        self.revocations += 1;
        Some((w.link.clone(), held))
    }

    /// The worker answered for `task_id`: takes it out of the worker's
    /// line. Returns the task now first in that line (`None` inside when
    /// the line is empty), or `None` if the worker did not have the task.
    pub(super) fn answered(&mut self, worker_id: u64, task_id: u64) -> Option<Option<u64>> {
        let w = self.workers.get_mut(&worker_id)?;
        let position = w.assigned.iter().position(|t| *t == task_id)?;
        w.assigned.remove(position);
        if w.revoking == Some(task_id) {
            w.revoking = None;
            self.revocations -= 1;
        }
        if w.assigned.is_empty() {
            self.idle_count += 1;
        }
        Some(w.assigned.front().copied())
    }

    /// Removes a worker whose connection ended.
    pub(super) fn leave(&mut self, worker_id: u64) -> Option<Worker> {
        let worker = self.workers.remove(&worker_id)?;
        if worker.ready && worker.assigned.is_empty() {
            self.idle_count -= 1;
        }
        if worker.revoking.is_some() {
            self.revocations -= 1;
        }
        Some(worker)
    }

    /// Removes every worker; returns their links.
    pub(super) fn close(&mut self) -> Vec<Arc<Link>> {
        for line in &mut self.lines {
            line.clear();
        }
        self.idle_count = 0;
        self.revocations = 0;
        self.workers
            .drain()
            .map(|(_, worker)| worker.link)
            .collect()
    }

    /// Panics unless the invariants documented on the type hold.
    #[cfg(test)]
    pub(super) fn assert_invariants(&self) {
        let idle = self.workers.values();
        let idle = idle.filter(|w| w.ready && w.assigned.is_empty()).count();
        assert_eq!(self.idle_count, idle, "idle workers");
        let revoking = self.workers.values();
        let revoking = revoking.filter(|w| w.revoking.is_some()).count();
        assert_eq!(self.revocations, revoking, "pending revocations");
        for (i, line) in self.lines.iter().enumerate() {
            for (id, w) in &self.workers {
                let entries = line.iter().filter(|entry| *entry == id).count();
                assert_eq!(entries, usize::from(w.filed[i]), "worker {id} in line {i}");
            }
        }
    }
}
