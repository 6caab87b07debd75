//! Tasks ending here: resolved with an outcome (a result, a crash, a
//! cancellation or a timeout), their bytes freed, and every waiting task
//! cancelled when the dispatcher closes.

use super::roster_view::count_ending;
use super::{Delivery, Link, Message, Outcome, Phase, Place, Source, State};
use super::{CODE_CANCEL, CODE_TIMEOUT};
use std::sync::Arc;

impl State {
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

    pub(super) fn resolve(&mut self, task_id: u64, outcome: Outcome) {
        let Some(task) = self.tasks.get_mut(task_id) else {
            return;
        };
        match task.phase {
            Phase::Waiting(Place::Queued) => {
                self.status.awaiting -= 1;
                self.queue.left();
            }
            Phase::Waiting(Place::Held(_)) => self.status.awaiting -= 1,
            Phase::Waiting(Place::Running(_)) => self.status.executing -= 1,
            Phase::Resolved(_) => return,
        }
        count_ending(&mut self.ended, &outcome);
        let outcome = Arc::new(outcome);
        if let Some(cells) = task.cells.upgrade() {
            cells.fill(task.cell as usize, outcome.clone());
        }
        task.phase = Phase::Resolved(outcome);
        self.free_payload(task_id);
        self.results.push(task_id);
        self.status.completed += 1;
        self.events.notify();
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
                if let Some(w) = self.pool.get(worker) {
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
        self.queue.clear_if_empty();
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
        self.roster_close();
        self.closed = true;
        self.grants.clear();
        self.outgoing.clear();
        self.backlog.clear();
        self.pool.close()
    }
}
