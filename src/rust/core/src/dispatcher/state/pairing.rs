//! Pairing queued tasks with workers: idle workers first, then (while
//! tasks remain queued) workers that run a task and have room behind it,
//! and, with nothing queued, taking held tasks back for idle workers. Each
//! worker is filed under what it can do next, in queues whose stale entries
//! are skipped when popped, so every step is O(1).

use super::{Delivery, Place, Source, State, WORKER_SLOTS};
use crate::protocol::Message;
use std::sync::Arc;

/// Whether a worker running a task with `assigned` tasks in its line may
/// take another (behind the running one).
fn has_room(assigned: usize) -> bool {
    (1..WORKER_SLOTS).contains(&assigned)
}

impl State {
    /// A worker that can take a task now, if any.
    pub(super) fn pop_idle(&mut self) -> Option<u64> {
        while let Some(id) = self.idle.pop_front() {
            let Some(w) = self.workers.get_mut(&id) else {
                continue;
            };
            w.in_idle = false;
            if w.assigned.is_empty() && !w.link.is_closed() {
                return Some(id);
            }
        }
        None
    }

    /// A worker that runs a task and has room behind it, if any.
    fn pop_open(&mut self) -> Option<u64> {
        while let Some(id) = self.open.pop_front() {
            let Some(w) = self.workers.get_mut(&id) else {
                continue;
            };
            w.in_open = false;
            if has_room(w.assigned.len()) && w.revoking.is_none() && !w.link.is_closed() {
                return Some(id);
            }
        }
        None
    }

    /// A worker holding a task that no revocation was sent for, if any.
    fn pop_holder(&mut self) -> Option<u64> {
        while let Some(id) = self.holders.pop_front() {
            let Some(w) = self.workers.get_mut(&id) else {
                continue;
            };
            w.in_holders = false;
            if w.assigned.len() >= 2 && w.revoking.is_none() && !w.link.is_closed() {
                return Some(id);
            }
        }
        None
    }

    /// Files a worker under what it can do next, after its line changed.
    pub(super) fn file(&mut self, worker_id: u64) {
        let Some(w) = self.workers.get_mut(&worker_id) else {
            return;
        };
        let n = w.assigned.len();
        if n == 0 && !w.in_idle {
            w.in_idle = true;
            self.idle.push_back(worker_id);
        }
        if has_room(n) && !w.in_open {
            w.in_open = true;
            self.open.push_back(worker_id);
        }
        if n >= 2 && !w.in_holders {
            w.in_holders = true;
            self.holders.push_back(worker_id);
        }
    }

    /// Sends a task to a worker, running or held behind its current task.
    fn send(&mut self, worker_id: u64, task_id: u64) {
        let (Some(w), Some(task)) = (self.workers.get_mut(&worker_id), self.tasks.get(task_id))
        else {
            return;
        };
        let place = if w.assigned.is_empty() {
            self.idle_workers -= 1;
            self.status.awaiting -= 1;
            self.status.executing += 1;
            Place::Running(worker_id)
        } else {
            Place::Held(worker_id)
        };
        w.assigned.push_back(task_id);
        let name = State::name_of(task_id, task).to_string();
        let delivery = match &task.source {
            Source::Own(own) => Delivery {
                link: w.link.clone(),
                message: Message::Task {
                    id: task_id,
                    name,
                    part: 0,
                },
                payload: own.payload.clone(),
                part: None,
            },
            Source::Batch(batch) => {
                let part = (w.part_sent != batch.part).then(|| (batch.part, batch.shared.clone()));
                w.part_sent = batch.part;
                Delivery {
                    link: w.link.clone(),
                    message: Message::Task {
                        id: task_id,
                        name,
                        part: batch.part,
                    },
                    payload: Arc::new(batch.items.payload(batch.index(task_id))),
                    part,
                }
            }
        };
        self.outgoing.push(delivery);
        self.set_place(task_id, place);
        self.file(worker_id);
    }

    /// Pairs queued tasks with workers: idle workers first, then (while
    /// tasks remain queued) workers that run one task; with nothing queued,
    /// takes held tasks back for idle workers.
    pub(super) fn assign(&mut self) {
        while self.queued > 0 {
            let Some(worker_id) = self.pop_idle() else {
                break;
            };
            let Some(task_id) = self.pop_queued() else {
                self.file(worker_id);
                break;
            };
            self.send(worker_id, task_id);
        }
        // Workers that already hold a task get more only while the queue
        // is deep; they are filed again once this pass is over.
        let mut shallow = Vec::new();
        while self.queued > 0 {
            let Some(worker_id) = self.pop_open() else {
                break;
            };
            let held = self.workers.get(&worker_id).map_or(0, |w| w.assigned.len());
            if held >= 2 && self.queued <= self.workers.len() {
                shallow.push(worker_id);
                continue;
            }
            let Some(task_id) = self.pop_queued() else {
                self.file(worker_id);
                break;
            };
            self.send(worker_id, task_id);
        }
        for worker_id in shallow {
            self.file(worker_id);
        }
        if self.queued == 0 {
            while self.idle_workers > self.revocations {
                let Some(worker_id) = self.pop_holder() else {
                    break;
                };
                let Some(w) = self.workers.get_mut(&worker_id) else {
                    continue;
                };
                let Some(&held) = w.assigned.back() else {
                    continue;
                };
                w.revoking = Some(held);
                self.revocations += 1;
                self.outgoing.push(Delivery::control(
                    w.link.clone(),
                    Message::Revoke { id: held },
                ));
            }
        }
    }

    /// The worker answered for `task_id`: forget it from the worker's line
    /// and let the next task in that line count as running. Returns where
    /// the task was, if it was still waiting on this worker.
    pub(super) fn answered(&mut self, worker_id: u64, task_id: u64) -> Option<Place> {
        let w = self.workers.get_mut(&worker_id)?;
        let position = w.assigned.iter().position(|t| *t == task_id)?;
        w.assigned.remove(position);
        if w.revoking == Some(task_id) {
            w.revoking = None;
            self.revocations -= 1;
        }
        let front = w.assigned.front().copied();
        let now_idle = w.assigned.is_empty();
        let place = self.place(task_id);
        if now_idle {
            self.idle_workers += 1;
        }
        if let Some(front) = front {
            if self.place(front) == Some(Place::Held(worker_id)) {
                self.set_place(front, Place::Running(worker_id));
                self.status.awaiting -= 1;
                self.status.executing += 1;
            }
        }
        place.filter(|p| matches!(p, Place::Running(w) | Place::Held(w) if *w == worker_id))
    }
}
