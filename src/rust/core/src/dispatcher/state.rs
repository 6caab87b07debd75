//! The dispatcher's bookkeeping: tasks, the FIFO queue, workers, results,
//! credentials and counters. Plain synchronous code behind one mutex, so the
//! counters R reads are always exact and every transition is testable
//! without sockets.
//!
//! A worker holds at most two tasks: the one it runs and, when the queue is
//! deeper than the number of idle workers, the next one, so that it never
//! waits a network round trip between tasks. A held task that has not
//! started is taken back (revoked) as soon as another worker goes idle with
//! nothing queued, so holding never makes a task wait that another worker
//! could run. Every task sent to a worker is answered exactly once: a
//! result, or "released" for a task that never started there.
//!
//! The pairing of tasks with workers lives in `state_pairing.rs`, workers
//! joining and leaving in `state_workers.rs`, and taking tasks back out in
//! `state_taking.rs`. Tasks of
//! a batch (`walk()`) make their names and payloads from the batch only
//! when they are needed (see `batch.rs`).
//!
//! Cost: every operation is O(1) in the number of tasks and workers, apart
//! from the ones that return or scan what they were asked for (`cancel`,
//! `take`, `names`).

use super::backlog_watch::BacklogWatch;
use super::batch::{Batch, Items};
use super::outcome::{Cells, Outcome, Taken, CODE_CANCEL, CODE_CRASH, CODE_TIMEOUT};
use super::slab::Slab;
use crate::incoming::Incoming;
use crate::protocol::{Credential, Link, Message};
use crate::rng::Stream;
use crate::signal::Signal;
use crate::{Error, Result};
use std::collections::{HashMap, VecDeque};
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

struct Worker {
    link: Arc<Link>,
    pid: u32,
    /// Tasks sent and not yet answered, in the order sent.
    assigned: VecDeque<u64>,
    /// The held task a revocation was sent for, until the worker answers.
    revoking: Option<u64>,
    /// The batch part last sent to this worker (0: none).
    part_sent: u64,
    /// Whether the worker may receive tasks (its welcome was sent).
    ready: bool,
    in_idle: bool,
    in_open: bool,
    in_holders: bool,
}

struct Grant {
    credential: Credential,
    uses: u64,
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
    /// Queued task ids, oldest first, as ranges `start..end` (a batch is
    /// one range); ids of tasks cancelled while queued stay until they
    /// reach the front (`queued` counts the live ones).
    queue: VecDeque<(u64, u64)>,
    queued: usize,
    /// Ids in resolution order; ids taken by name stay until skipped or
    /// compacted away, and `waiting` counts the ones still held.
    resolved: VecDeque<u64>,
    waiting: usize,
    workers: HashMap<u64, Worker>,
    /// Workers with nothing assigned (`idle_workers` counts them exactly).
    idle: VecDeque<u64>,
    idle_workers: usize,
    /// Workers running a task that have room behind it.
    open: VecDeque<u64>,
    /// Workers holding a task behind the one they run.
    holders: VecDeque<u64>,
    revocations: usize,
    grants: HashMap<String, Grant>,
    stream: Stream,
    next_worker: u64,
    names_from: u64,
    status: Status,
    closed: bool,
    signal: Arc<Signal>,
    changed: Arc<Condvar>,
    /// Threads waiting on `changed` for any resolved task, and for no task
    /// to be left queued or running, so a resolution wakes only a waiter
    /// whose condition may now hold.
    waiting_any: usize,
    waiting_all: usize,
    outgoing: Vec<Delivery>,
    /// Large results whose bytes began to arrive, for an early reader.
    arriving: VecDeque<Weak<Incoming>>,
}

impl State {
    /// Empty state whose resolutions notify `signal`.
    pub fn new(signal: Arc<Signal>) -> State {
        State {
            tasks: Slab::new(1),
            by_name: HashMap::new(),
            batches: Vec::new(),
            next_part: 1,
            empty: Arc::new(Vec::new()),
            welcome: Arc::new(Vec::new()),
            backlog: BacklogWatch::default(),
            queue: VecDeque::new(),
            queued: 0,
            resolved: VecDeque::new(),
            waiting: 0,
            workers: HashMap::new(),
            idle: VecDeque::new(),
            idle_workers: 0,
            open: VecDeque::new(),
            holders: VecDeque::new(),
            revocations: 0,
            grants: HashMap::new(),
            stream: Stream::random(),
            next_worker: 1,
            names_from: crate::random::random_u64() & 0xffff_ffff_ffff,
            status: Status::default(),
            closed: false,
            signal,
            changed: Arc::new(Condvar::new()),
            waiting_any: 0,
            waiting_all: 0,
            outgoing: Vec::new(),
            arriving: VecDeque::new(),
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
        self.waiting > 0
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

    /// A name of the form `unnamed_task_<12 hex digits>` that no held task
    /// has.
    fn fresh_name(&mut self) -> Arc<str> {
        loop {
            let n = self.names_from & 0xffff_ffff_ffff;
            self.names_from = self.names_from.wrapping_add(1);
            let name: Arc<str> = Arc::from(format!("unnamed_task_{n:012x}"));
            if self.find(&name).is_none() {
                return name;
            }
        }
    }

    /// Queues a task under `name` (a fresh name if `None`) and hands it to a
    /// worker if one can take it. With `cell` (cells and an index), the
    /// task's outcome is also kept in that cell once it resolves.
    pub fn push(
        &mut self,
        name: Option<&str>,
        payload: Vec<u8>,
        cell: Option<(&Arc<Cells>, usize)>,
    ) -> Result<(u64, Arc<str>)> {
        if self.closed {
            return Err(Error::ProfileNotRunning("(terminated)".into()));
        }
        let name = match name {
            Some(name) if self.find(name).is_some() => {
                return Err(Error::DuplicateName(name.to_string()))
            }
            Some(name) => Arc::from(name),
            None => self.fresh_name(),
        };
        let mut payload = payload;
        if payload.capacity() > payload.len() + payload.len() / 8 {
            payload.shrink_to_fit();
        }
        let id = self.tasks.insert(Task {
            source: Source::Own(Box::new(Own {
                name: name.clone(),
                payload: Arc::new(payload),
            })),
            phase: Phase::Waiting(Place::Queued),
            cells: cell.map_or_else(Weak::new, |(cells, _)| Arc::downgrade(cells)),
            cell: cell.map_or(0, |(_, index)| index as u32),
        });
        self.by_name.insert(name.clone(), id);
        self.queue.push_back((id, id + 1));
        self.queued += 1;
        self.status.awaiting += 1;
        self.assign();
        self.backlog.changed();
        Ok((id, name))
    }

    /// Queues every task of a batch whose tasks share `shared`, under the
    /// names `items` gives them, and hands tasks to the workers that can
    /// take them. With `cells`, returns cells for the tasks, in order. Cost:
    /// O(1) per task, plus one name lookup per task when other tasks are
    /// held (to refuse a name already taken).
    pub fn push_batch(
        &mut self,
        shared: Vec<u8>,
        items: Box<dyn Items>,
        cells: bool,
    ) -> Result<(u64, Option<Arc<Cells>>)> {
        if self.closed {
            return Err(Error::ProfileNotRunning("(terminated)".into()));
        }
        let n = items.len();
        if self.tasks.len() > 0 {
            if let Some(name) = (0..n)
                .map(|i| items.name(i))
                .find(|name| self.find(name).is_some())
            {
                return Err(Error::DuplicateName(name));
            }
        }
        let part = self.next_part;
        self.next_part += 1;
        let first = self.tasks.next_id();
        let batch = Arc::new(Batch {
            part,
            shared: Arc::new(shared),
            items,
            first,
        });
        self.batches.retain(|b| b.strong_count() > 0);
        self.batches.push(Arc::downgrade(&batch));
        self.tasks.reserve(n);
        let cells = cells.then(|| Cells::new(n));
        let weak = cells.as_ref().map_or_else(Weak::new, Arc::downgrade);
        for i in 0..n {
            let id = self.tasks.insert(Task {
                source: Source::Batch(batch.clone()),
                phase: Phase::Waiting(Place::Queued),
                cells: weak.clone(),
                cell: i as u32,
            });
            debug_assert_eq!(id, first + i as u64);
        }
        self.queue.push_back((first, first + n as u64));
        self.queued += n;
        self.status.awaiting += n as u64;
        self.assign();
        self.backlog.changed();
        Ok((first, cells))
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
        while let Some(range) = self.queue.front_mut() {
            let id = range.0;
            range.0 += 1;
            if range.0 >= range.1 {
                self.queue.pop_front();
            }
            if self.place(id) == Some(Place::Queued) {
                self.queued -= 1;
                return Some(id);
            }
        }
        None
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
        self.queue.push_front((task_id, task_id + 1));
        self.queued += 1;
    }

    /// Frees a task's serialized bytes once no worker can need them again.
    pub(super) fn free_payload(&mut self, task_id: u64) {
        let Some(task) = self.tasks.get_mut(task_id) else {
            return;
        };
        if let Source::Own(own) = &mut task.source {
            let payload = std::mem::replace(&mut own.payload, self.empty.clone());
            let bytes = payload.len();
            crate::discard::discard(payload, bytes);
        }
    }

    fn resolve(&mut self, task_id: u64, outcome: Outcome) {
        let Some(task) = self.tasks.get_mut(task_id) else {
            return;
        };
        match task.phase {
            Phase::Waiting(Place::Queued) => {
                self.status.awaiting -= 1;
                self.queued -= 1;
            }
            Phase::Waiting(Place::Held(_)) => self.status.awaiting -= 1,
            Phase::Waiting(Place::Running(_)) => self.status.executing -= 1,
            Phase::Resolved(_) => return,
        }
        let outcome = Arc::new(outcome);
        if let Some(cells) = task.cells.upgrade() {
            cells.fill(task.cell as usize, outcome.clone());
        }
        task.phase = Phase::Resolved(outcome);
        self.free_payload(task_id);
        self.resolved.push_back(task_id);
        self.waiting += 1;
        self.status.completed += 1;
        self.signal.notify();
        let all_done = self.status.awaiting + self.status.executing == 0;
        if self.waiting_any > 0 || (self.waiting_all > 0 && all_done) {
            self.changed.notify_all();
        }
    }

    fn stop(&mut self, task_id: u64, code: i32) -> bool {
        match self.place(task_id) {
            None => return false,
            Some(Place::Queued) => {}
            Some(Place::Running(worker) | Place::Held(worker)) => {
                // The worker keeps the task in its line until it answers, so
                // it gets no other task while it is still being interrupted.
                if let Some(w) = self.workers.get(&worker) {
                    self.outgoing.push(Delivery::control(
                        w.link.clone(),
                        Message::Cancel { id: task_id },
                    ));
                }
            }
        }
        self.resolve(task_id, Outcome::code_only(code));
        true
    }

    /// Cancels the named tasks (or all); returns how many were cancelled.
    pub fn cancel(&mut self, names: &[String], all: bool) -> usize {
        let ids: Vec<u64> = if all {
            self.tasks.iter().map(|(id, _)| id).collect()
        } else {
            names.iter().filter_map(|n| self.find(n)).collect()
        };
        let count = ids
            .into_iter()
            .filter(|id| self.stop(*id, CODE_CANCEL))
            .count();
        if self.queued == 0 {
            self.queue.clear();
        }
        count
    }

    /// A task's own deadline passed.
    pub fn expire(&mut self, task_id: u64) {
        self.stop(task_id, CODE_TIMEOUT);
    }

    /// Closes the dispatcher: no new worker or task is accepted, and every
    /// task still waiting resolves as cancelled, so a handle or promise on
    /// it learns that it will never run. Returns the links of the connected
    /// workers, for the caller to close.
    pub fn close(&mut self) -> Vec<Arc<Link>> {
        let waiting: Vec<u64> = self
            .tasks
            .iter()
            .filter(|(_, task)| matches!(task.phase, Phase::Waiting(_)))
            .map(|(id, _)| id)
            .collect();
        for id in waiting {
            self.resolve(id, Outcome::code_only(CODE_CANCEL));
        }
        self.closed = true;
        self.idle.clear();
        self.open.clear();
        self.holders.clear();
        self.grants.clear();
        self.outgoing.clear();
        self.backlog.clear();
        self.workers
            .drain()
            .map(|(_, worker)| worker.link)
            .collect()
    }
}

#[path = "state_pairing.rs"]
mod pairing;

#[path = "state_workers.rs"]
mod workers;

#[path = "state_taking.rs"]
mod taking;

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "state_batch_tests.rs"]
mod batch_tests;
