//! The dispatcher's bookkeeping: tasks, the FIFO queue, workers, results,
//! credentials and counters. Plain synchronous code behind one mutex, so the
//! counters R reads are always exact and every transition is testable
//! without sockets.

use crate::protocol::{Credential, Link, Message, ResultMeta};
use crate::rng::Stream;
use crate::signal::Signal;
use crate::{Error, Result};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar};

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
    fn code_only(code: i32) -> Outcome {
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
    pub name: String,
    pub outcome: Outcome,
}

/// The dispatcher's counters, as `client$status()` reports them.
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
}

enum Phase {
    Queued,
    Running { worker: u64 },
    Resolved(Box<Outcome>),
}

struct Task {
    name: String,
    payload: Arc<Vec<u8>>,
    phase: Phase,
}

struct Worker {
    link: Arc<Link>,
    task: Option<u64>,
    pid: u32,
}

struct Grant {
    credential: Credential,
    uses: u64,
}

/// Everything the dispatcher knows, behind its one lock.
pub struct State {
    tasks: HashMap<u64, Task>,
    by_name: HashMap<String, u64>,
    queue: VecDeque<u64>,
    /// Ids in resolution order; ids taken by name stay until skipped or
    /// compacted away, and `waiting` counts the ones still held.
    resolved: VecDeque<u64>,
    waiting: usize,
    workers: HashMap<u64, Worker>,
    idle: VecDeque<u64>,
    grants: HashMap<String, Grant>,
    stream: Stream,
    next_task: u64,
    next_worker: u64,
    status: Status,
    closed: bool,
    signal: Arc<Signal>,
    changed: Arc<Condvar>,
    outgoing: Vec<Delivery>,
}

impl State {
    /// Empty state whose resolutions notify `signal`.
    pub fn new(signal: Arc<Signal>) -> State {
        State {
            tasks: HashMap::new(),
            by_name: HashMap::new(),
            queue: VecDeque::new(),
            resolved: VecDeque::new(),
            waiting: 0,
            workers: HashMap::new(),
            idle: VecDeque::new(),
            grants: HashMap::new(),
            stream: Stream::random(),
            next_task: 1,
            next_worker: 1,
            status: Status::default(),
            closed: false,
            signal,
            changed: Arc::new(Condvar::new()),
            outgoing: Vec::new(),
        }
    }

    /// Frames produced by the operations since the last call, to be sent
    /// once the lock is released.
    pub fn take_outgoing(&mut self) -> Vec<Delivery> {
        std::mem::take(&mut self.outgoing)
    }

    /// Notified (with this state's mutex) whenever a task resolves.
    pub fn changed(&self) -> Arc<Condvar> {
        self.changed.clone()
    }

    /// Whether any resolved task is waiting to be taken.
    pub fn has_resolved(&self) -> bool {
        self.waiting > 0
    }

    /// The counters.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Queues a task and hands it to an idle worker if there is one.
    pub fn push(&mut self, name: String, payload: Vec<u8>) -> Result<u64> {
        if self.closed {
            return Err(Error::ProfileNotRunning("(terminated)".into()));
        }
        if self.by_name.contains_key(&name) {
            return Err(Error::DuplicateName(name));
        }
        let id = self.next_task;
        self.next_task += 1;
        self.by_name.insert(name.clone(), id);
        self.tasks.insert(
            id,
            Task {
                name,
                payload: Arc::new(payload),
                phase: Phase::Queued,
            },
        );
        self.queue.push_back(id);
        self.status.awaiting += 1;
        self.assign();
        Ok(id)
    }

    /// Pairs queued tasks with idle workers, oldest first on both sides.
    fn assign(&mut self) {
        while !self.queue.is_empty() {
            let Some(worker_id) = self.idle.pop_front() else {
                return;
            };
            let Some(worker) = self.workers.get_mut(&worker_id) else {
                continue;
            };
            if worker.task.is_some() {
                continue;
            }
            let Some(task_id) = self.queue.pop_front() else {
                self.idle.push_front(worker_id);
                return;
            };
            let Some(task) = self.tasks.get_mut(&task_id) else {
                self.idle.push_front(worker_id);
                continue;
            };
            if worker.link.is_closed() {
                // The connection is going away; its session will remove the
                // worker. The task keeps its place.
                self.queue.push_front(task_id);
                continue;
            }
            self.outgoing.push(Delivery {
                link: worker.link.clone(),
                message: Message::Task {
                    id: task_id,
                    name: task.name.clone(),
                },
                payload: task.payload.clone(),
            });
            task.phase = Phase::Running { worker: worker_id };
            worker.task = Some(task_id);
            self.status.awaiting -= 1;
            self.status.executing += 1;
        }
    }

    fn resolve(&mut self, task_id: u64, outcome: Outcome) {
        let Some(task) = self.tasks.get_mut(&task_id) else {
            return;
        };
        match task.phase {
            Phase::Queued => self.status.awaiting -= 1,
            Phase::Running { .. } => self.status.executing -= 1,
            Phase::Resolved(_) => return,
        }
        task.phase = Phase::Resolved(Box::new(outcome));
        task.payload = Arc::new(Vec::new());
        self.resolved.push_back(task_id);
        self.waiting += 1;
        self.status.completed += 1;
        self.signal.notify();
        self.changed.notify_all();
    }

    /// Issues a credential good for `uses` workers; returns its token.
    pub fn issue_credential(&mut self, uses: u64) -> String {
        let credential = Credential::generate();
        let token = credential.token();
        self.grants.insert(
            credential.id.clone(),
            Grant {
                credential,
                uses: uses.max(1),
            },
        );
        token
    }

    /// Checks a worker's proof and spends one use of its credential.
    pub fn authenticate(&mut self, id: &str, nonce: &[u8; 32], proof: &[u8]) -> bool {
        let Some(grant) = self.grants.get_mut(id) else {
            return false;
        };
        if !grant.credential.verify(nonce, proof) {
            return false;
        }
        grant.uses -= 1;
        if grant.uses == 0 {
            self.grants.remove(id);
        }
        true
    }

    /// The next independent RNG stream, in R's `.Random.seed` layout.
    pub fn next_stream(&mut self) -> [i32; 7] {
        self.stream = self.stream.next();
        self.stream.to_r_seed()
    }

    /// Registers an authenticated worker with the process id it reported;
    /// `None` once the dispatcher closed.
    pub fn join(&mut self, link: Arc<Link>, pid: u32) -> Option<(u64, [i32; 7])> {
        if self.closed {
            return None;
        }
        let id = self.next_worker;
        self.next_worker += 1;
        let stream = self.next_stream();
        self.workers.insert(
            id,
            Worker {
                link,
                task: None,
                pid,
            },
        );
        self.status.connections += 1;
        self.status.cumulative += 1;
        Some((id, stream))
    }

    /// The worker may receive tasks now (after its welcome was sent).
    pub fn ready(&mut self, worker_id: u64) {
        if self.workers.contains_key(&worker_id) {
            self.idle.push_back(worker_id);
            self.assign();
        }
    }

    /// A worker returned a result.
    pub fn result(&mut self, worker_id: u64, task_id: u64, meta: ResultMeta, payload: Vec<u8>) {
        let Some(worker) = self.workers.get_mut(&worker_id) else {
            return;
        };
        if worker.task != Some(task_id) {
            return;
        }
        worker.task = None;
        let running_here = matches!(
            self.tasks.get(&task_id).map(|t| &t.phase),
            Some(Phase::Running { worker }) if *worker == worker_id
        );
        if running_here {
            let outcome = Outcome {
                code: meta.code,
                meta: Some(meta),
                payload,
                worker_pid: None,
            };
            self.resolve(task_id, outcome);
        }
        self.idle.push_back(worker_id);
        self.assign();
    }

    /// A worker's connection ended. After a goodbye, a task it held was
    /// never started and goes back to the front of the queue; otherwise the
    /// task crashed with it.
    pub fn leave(&mut self, worker_id: u64, goodbye: bool) {
        let Some(worker) = self.workers.remove(&worker_id) else {
            return;
        };
        self.status.connections -= 1;
        self.idle.retain(|w| *w != worker_id);
        let Some(task_id) = worker.task else {
            return;
        };
        let running_here = matches!(
            self.tasks.get(&task_id).map(|t| &t.phase),
            Some(Phase::Running { worker }) if *worker == worker_id
        );
        if !running_here {
            return;
        }
        if goodbye {
            if let Some(task) = self.tasks.get_mut(&task_id) {
                task.phase = Phase::Queued;
            }
            self.status.executing -= 1;
            self.status.awaiting += 1;
            self.queue.push_front(task_id);
            self.assign();
        } else {
            let crash = Outcome {
                worker_pid: Some(worker.pid),
                ..Outcome::code_only(CODE_CRASH)
            };
            self.resolve(task_id, crash);
        }
    }

    fn stop(&mut self, task_id: u64, code: i32) -> bool {
        let Some(task) = self.tasks.get(&task_id) else {
            return false;
        };
        match task.phase {
            Phase::Queued => {
                self.queue.retain(|t| *t != task_id);
            }
            Phase::Running { worker } => {
                if let Some(w) = self.workers.get(&worker) {
                    self.outgoing.push(Delivery {
                        link: w.link.clone(),
                        message: Message::Cancel { id: task_id },
                        payload: Arc::new(Vec::new()),
                    });
                }
            }
            Phase::Resolved(_) => return false,
        }
        self.resolve(task_id, Outcome::code_only(code));
        true
    }

    /// Cancels the named tasks (or all); returns how many were cancelled.
    pub fn cancel(&mut self, names: &[String], all: bool) -> usize {
        let ids: Vec<u64> = if all {
            self.tasks.keys().copied().collect()
        } else {
            names
                .iter()
                .filter_map(|n| self.by_name.get(n).copied())
                .collect()
        };
        ids.into_iter()
            .filter(|id| self.stop(*id, CODE_CANCEL))
            .count()
    }

    /// A task's own deadline passed.
    pub fn expire(&mut self, task_id: u64) {
        self.stop(task_id, CODE_TIMEOUT);
    }

    /// A copy of the named task's outcome, leaving it in place.
    pub fn peek(&self, name: &str) -> Option<Outcome> {
        let task = self.tasks.get(self.by_name.get(name)?)?;
        match &task.phase {
            Phase::Resolved(outcome) => Some((**outcome).clone()),
            _ => None,
        }
    }

    fn remove(&mut self, task_id: u64) -> Option<Taken> {
        let task = self.tasks.remove(&task_id)?;
        self.by_name.remove(&task.name);
        let Phase::Resolved(outcome) = task.phase else {
            return None;
        };
        self.waiting -= 1;
        // Tasks taken by name leave stale ids behind; drop them once they
        // outnumber the live ones, so the queue stays proportional.
        if self.resolved.len() > 2 * self.waiting + 64 {
            let tasks = &self.tasks;
            self.resolved.retain(|id| tasks.contains_key(id));
        }
        Some(Taken {
            name: task.name,
            outcome: *outcome,
        })
    }

    /// Removes and returns the named tasks that are resolved.
    pub fn take(&mut self, names: &[String]) -> Vec<Taken> {
        let ids: Vec<u64> = names
            .iter()
            .filter_map(|n| self.by_name.get(n).copied())
            .filter(|id| matches!(self.tasks[id].phase, Phase::Resolved(_)))
            .collect();
        ids.into_iter().filter_map(|id| self.remove(id)).collect()
    }

    /// Removes and returns up to `max` resolved tasks, oldest first.
    pub fn take_resolved(&mut self, max: usize) -> Vec<Taken> {
        let mut out = Vec::new();
        while out.len() < max {
            let Some(id) = self.resolved.pop_front() else {
                break;
            };
            if let Some(taken) = self.remove(id) {
                out.push(taken);
            }
        }
        out
    }

    /// Closes the dispatcher: no new worker or task is accepted. Returns
    /// the links of the connected workers, for the caller to close.
    pub fn close(&mut self) -> Vec<Arc<Link>> {
        self.closed = true;
        self.idle.clear();
        self.grants.clear();
        self.outgoing.clear();
        self.workers
            .drain()
            .map(|(_, worker)| worker.link)
            .collect()
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
