//! Pairing queued tasks with workers: idle workers first, then (while
//! tasks remain queued) workers that run a task and have room behind it,
//! and, with nothing queued, taking held tasks back for idle workers. The
//! pool files each worker under what it can do next (see `pool.rs`), so
//! every step is O(1).

use super::pool::Filing;
use super::{Delivery, Place, Source, State};
use crate::protocol::Message;
use std::sync::Arc;

impl State {
    /// Sends a task to a worker, running or held behind its current task.
    fn send(&mut self, worker_id: u64, task_id: u64) {
        let Some(task) = self.tasks.get(task_id) else {
            return;
        };
        let Some((runs, w)) = self.pool.give(worker_id, task_id) else {
            return;
        };
        let place = if runs {
            self.roster.started(worker_id);
            self.status.awaiting -= 1;
            self.status.executing += 1;
            Place::Running(worker_id)
        } else {
            Place::Held(worker_id)
        };
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
        self.pool.file(worker_id);
    }

    /// Pairs queued tasks with workers: idle workers first, then (while
    /// tasks remain queued) workers that run one task; with nothing queued,
    /// takes held tasks back for idle workers.
    pub(super) fn assign(&mut self) {
        while !self.queue.is_empty() {
            let Some(worker_id) = self.pool.pop(Filing::Idle) else {
                break;
            };
            let Some(task_id) = self.pop_queued() else {
                self.pool.file(worker_id);
                break;
            };
            self.send(worker_id, task_id);
        }
        // Workers that already hold a task get more only while the queue
        // is deep; they are filed again once this pass is over.
        let mut shallow = Vec::new();
        while !self.queue.is_empty() {
            let Some(worker_id) = self.pool.pop(Filing::Open) else {
                break;
            };
            let held = self.pool.get(worker_id).map_or(0, |w| w.assigned().len());
            if held >= 2 && self.queue.len() <= self.pool.len() {
                shallow.push(worker_id);
                continue;
            }
            let Some(task_id) = self.pop_queued() else {
                self.pool.file(worker_id);
                break;
            };
            self.send(worker_id, task_id);
        }
        for worker_id in shallow {
            self.pool.file(worker_id);
        }
        if self.queue.is_empty() {
            while self.pool.idle_count() > self.pool.revocations() {
                let Some((link, held)) = self.pool.revoke() else {
                    break;
                };
                self.outgoing
                    .push(Delivery::control(link, Message::Revoke { id: held }));
            }
        }
    }

    /// The worker answered for `task_id`: forget it from the worker's line
    /// and let the next task in that line count as running. Returns where
    /// the task was, if it was still waiting on this worker.
    pub(super) fn answered(&mut self, worker_id: u64, task_id: u64) -> Option<Place> {
        let front = self.pool.answered(worker_id, task_id)?;
        let place = self.place(task_id);
        if let Some(front) = front {
            if self.place(front) == Some(Place::Held(worker_id)) {
                self.roster.started(worker_id);
                self.set_place(front, Place::Running(worker_id));
                self.status.awaiting -= 1;
                self.status.executing += 1;
            }
        }
        place.filter(|p| matches!(p, Place::Running(w) | Place::Held(w) if *w == worker_id))
    }
}
