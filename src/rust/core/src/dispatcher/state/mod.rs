//! The dispatcher's bookkeeping: tasks, the FIFO queue, workers, results,
//! credentials and counters. Plain synchronous code behind one mutex, so the
//! counters R reads are always exact and every transition is testable
//! without sockets.
//!
//! A worker holds a few tasks at most (see `WORKER_SLOTS`): the one it runs
//! and, while tasks are queued, the next ones, so that it never waits a
//! network round trip between tasks. A held task that has not
//! started is taken back (revoked) as soon as another worker goes idle with
//! nothing queued, so holding never makes a task wait that another worker
//! could run. Every task sent to a worker is answered exactly once: a
//! result, or "released" for a task that never started there.
//!
//! The pieces that keep an invariant of their own are types of their own:
//! the queue of tasks waiting for a worker (`queue.rs`), the connected
//! workers filed under what each can do next (`pool.rs`) and the resolved
//! tasks waiting to be taken (`results.rs`). Queuing tasks lives in
//! `submitting.rs`, the pairing of tasks with workers in `pairing.rs`,
//! workers joining and leaving in `workers.rs`, tasks ending in
//! `ending.rs`, and taking them back out in `taking.rs`. Tasks of a batch
//! (`walk()`) make their names and payloads from the batch only when they
//! are needed (see `../batch.rs`).
//!
//! Cost: every operation is O(1) in the number of tasks and workers, apart
//! from the ones that return or scan what they were asked for (`cancel`,
//! `take`, `names`).

mod ending;
mod pairing;
mod pool;
mod queue;
mod results;
mod roster_view;
mod submitting;
mod taking;
mod workers;

use super::backlog_watch::BacklogWatch;
use super::batch::{Batch, Items};
use super::outcome::{Cells, Outcome, Taken, CODE_CANCEL, CODE_CRASH, CODE_TIMEOUT};
use super::roster::Roster;
use super::slab::Slab;
use crate::event_count::EventCount;
use crate::protocol::{Credential, Link, Message};
use crate::rng_streams::Stream;
use crate::{Error, Result};
use pool::WorkerPool;
use queue::TaskQueue;
use results::ResultQueue;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Weak};

/// How many tasks a worker may hold at once: the running one, one behind
/// it whenever a task is queued, and while the queue has more than one
/// task per worker, up to three behind it, refilled as each result comes.
/// A worker that had to wait for its next task would sleep and be woken
/// for it: with tiny tasks, the round trip of a refill outlasts the task.
const WORKER_SLOTS: usize = 4;

/// The dispatcher's counters, as `client$status()` reports them.
/// `awaiting` counts tasks queued here or held by a worker behind the task
/// it runs; `executing` counts tasks running on workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    pub connections: u64,
    pub cumulative: u64,
    pub awaiting: u64,
    pub executing: u64,
    pub completed: u64,
}

/// A frame for one worker's connection, sent by the caller of the state
/// operation that produced it, after the state's lock is released.
pub struct Delivery {
    pub link: Arc<Link>,
    pub message: Message,
    pub payload: Arc<Vec<u8>>,
    /// A batch's shared part (id and bytes) to send first, for the first
    /// task of that batch this worker gets.
    pub part: Option<(u64, Arc<Vec<u8>>)>,
}

impl Delivery {
    pub(crate) fn control(link: Arc<Link>, message: Message) -> Delivery {
        Delivery {
            link,
            message,
            payload: Arc::new(Vec::new()),
            part: None,
        }
    }
}

/// Counts of tasks that resolved without a value, by how.
#[derive(Debug, Clone, Copy, Default)]
struct Ended {
    errors: u64,
    crashes: u64,
    cancellations: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Queued,
    /// Sent to the worker, first in its line: running.
    Running(u64),
    /// Sent to the worker behind the task it runs.
    Held(u64),
}

enum Phase {
    Waiting(Place),
    Resolved(Arc<Outcome>),
}

/// Where a task's name and payload come from: its own (boxed, so that the
/// many tasks of batches stay small), or its batch.
enum Source {
    Own(Box<Own>),
    Batch(Arc<Batch>),
}

struct Own {
    name: Arc<str>,
    payload: Arc<Vec<u8>>,
}

struct Task {
    source: Source,
    phase: Phase,
    /// Where a live handle keeps the task's outcome.
    cells: Weak<Cells>,
    cell: u32,
}

struct Grant {
    credential: Credential,
    uses: u64,
    /// When the credential was issued: its workers' launch.
    issued: std::time::Instant,
    /// After this, the launch counts as failed and its workers are refused.
    expires: Option<std::time::Instant>,
}

/// Everything the dispatcher knows, behind its one lock.
pub struct State {
    tasks: Slab<Task>,
    /// Tasks pushed one by one, by name; tasks of batches are found
    /// through their batch.
    by_name: HashMap<Arc<str>, u64>,
    batches: Vec<Weak<Batch>>,
    next_part: u64,
    /// What a resolved task's payload becomes.
    empty: Arc<Vec<u8>>,
    /// What every worker receives with its welcome (see `Config::welcome`).
    pub(crate) welcome: Arc<Vec<u8>>,
    /// Who wants to hear of the next task queued or worker come or gone.
    pub(crate) backlog: BacklogWatch,
    queue: TaskQueue,
    results: ResultQueue,
    pool: WorkerPool,
    grants: HashMap<String, Grant>,
    /// Every worker of this dispatcher's life, for `crew_status()`.
    roster: Roster,
    /// Tasks resolved as errors, crashes and cancellations.
    ended: Ended,
    stream: Stream,
    names_from: u64,
    status: Status,
    closed: bool,
    /// Notified of every resolution (and of large results arriving).
    events: Arc<EventCount>,
    changed: Arc<Condvar>,
    /// Threads waiting on `changed` for any resolved task, and for no task
    /// to be left queued or running, so a resolution wakes only a waiter
    /// whose condition may now hold.
    waiting_any: usize,
    waiting_all: usize,
    outgoing: Vec<Delivery>,
}

impl State {
    /// Empty state whose resolutions notify `events`.
    pub fn new(events: Arc<EventCount>) -> State {
        State {
            tasks: Slab::new(1),
            by_name: HashMap::new(),
            batches: Vec::new(),
            next_part: 1,
            empty: Arc::new(Vec::new()),
            welcome: Arc::new(Vec::new()),
            backlog: BacklogWatch::default(),
            queue: TaskQueue::new(),
            results: ResultQueue::new(),
            pool: WorkerPool::new(),
            grants: HashMap::new(),
            roster: Roster::default(),
            ended: Ended::default(),
            stream: Stream::random(),
            names_from: crate::secure_random::random_u64() & 0xffff_ffff_ffff,
            status: Status::default(),
            closed: false,
            events,
            changed: Arc::new(Condvar::new()),
            waiting_any: 0,
            waiting_all: 0,
            outgoing: Vec::new(),
        }
    }

    /// Frames produced by the operations since the last call, to be sent
    /// once the lock is released.
    pub fn take_outgoing(&mut self) -> Vec<Delivery> {
        std::mem::take(&mut self.outgoing)
    }

    /// Notified (with this state's mutex) whenever a task resolves, if a
    /// waiter registered with [`State::wait_begin`].
    pub fn changed(&self) -> Arc<Condvar> {
        self.changed.clone()
    }

    /// A thread is about to wait on [`State::changed`], for any resolved
    /// task (`any`) or for every task to resolve.
    pub fn wait_begin(&mut self, any: bool) {
        if any {
            self.waiting_any += 1;
        } else {
            self.waiting_all += 1;
        }
    }

    /// A thread stopped waiting on [`State::changed`].
    pub fn wait_end(&mut self, any: bool) {
        if any {
            self.waiting_any = self.waiting_any.saturating_sub(1);
        } else {
            self.waiting_all = self.waiting_all.saturating_sub(1);
        }
    }

    /// Whether any resolved task is waiting to be taken.
    pub fn has_resolved(&self) -> bool {
        self.results.waiting() > 0
    }

    /// The counters.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether the dispatcher was closed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// How many tasks are held: pushed and not yet taken.
    pub fn size(&self) -> usize {
        self.tasks.len()
    }

    /// The id of the held task of this name.
    fn find(&self, name: &str) -> Option<u64> {
        if let Some(id) = self.by_name.get(name) {
            return Some(*id);
        }
        self.batches.iter().find_map(|batch| {
            let batch = batch.upgrade()?;
            let id = batch.first + batch.items.find(name)? as u64;
            match &self.tasks.get(id)?.source {
                Source::Batch(b) if Arc::ptr_eq(b, &batch) => Some(id),
                _ => None,
            }
        })
    }

    fn name_of(task_id: u64, task: &Task) -> Arc<str> {
        match &task.source {
            Source::Own(own) => own.name.clone(),
            Source::Batch(batch) => Arc::from(batch.items.name(batch.index(task_id))),
        }
    }

    fn place(&self, task_id: u64) -> Option<Place> {
        match self.tasks.get(task_id)?.phase {
            Phase::Waiting(place) => Some(place),
            Phase::Resolved(_) => None,
        }
    }

    fn set_place(&mut self, task_id: u64, place: Place) {
        if let Some(task) = self.tasks.get_mut(task_id) {
            task.phase = Phase::Waiting(place);
        }
    }

    /// The oldest task still queued.
    fn pop_queued(&mut self) -> Option<u64> {
        let tasks = &self.tasks;
        self.queue.pop(|id| {
            tasks
                .get(id)
                .is_some_and(|task| matches!(task.phase, Phase::Waiting(Place::Queued)))
        })
    }

    /// Puts a task that was sent but never started back at the front.
    fn requeue(&mut self, task_id: u64) {
        match self.place(task_id) {
            Some(Place::Running(_)) => {
                self.status.executing -= 1;
                self.status.awaiting += 1;
            }
            Some(Place::Held(_)) => {}
            _ => return,
        }
        self.set_place(task_id, Place::Queued);
        self.queue.push_front(task_id);
    }
}

#[cfg(test)]
mod batch_tests;
#[cfg(test)]
mod invariant_tests;
#[cfg(test)]
mod tests;
