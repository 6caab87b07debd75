//! What the dispatcher shows of its workers and tasks (see
//! `../roster.rs`): the roster's rows with the task each connected worker
//! runs, and the counts of the dashboard's tiles.

use super::super::roster::{Board, Ending, Pulse, WorkerRow};
use super::{Ended, Outcome, State, CODE_CANCEL, CODE_CRASH};
use std::sync::Arc;
use std::time::Instant;

impl State {
    /// The task first in the worker's line: the one it runs.
    fn running_task(&self, worker_id: u64) -> Option<Arc<str>> {
        let task_id = *self.pool.get(worker_id)?.assigned().front()?;
        self.tasks
            .get(task_id)
            .map(|task| State::name_of(task_id, task))
    }

    /// Every worker of this dispatcher's life, launching ones included.
    pub fn roster_rows(&self) -> Vec<WorkerRow> {
        let now = Instant::now();
        let launching = self
            .grants
            .values()
            .filter(|grant| grant.expires.is_some_and(|expires| expires > now))
            .flat_map(|grant| std::iter::repeat_n(grant.issued, grant.uses as usize));
        self.roster
            .rows(|worker_id| self.running_task(worker_id), launching)
    }

    /// The counts of the dashboard's tiles.
    pub fn board(&self) -> Board {
        let queued = self.queue.len() as u64;
        Board {
            queued,
            held: self.status.awaiting.saturating_sub(queued),
            running: self.status.executing,
            done: self.status.completed,
            errors: self.ended.errors,
            crashes: self.ended.crashes,
            cancellations: self.ended.cancellations,
            connected: self.status.connections,
        }
    }

    /// A worker's pulse arrived.
    pub fn pulse(&mut self, worker_id: u64, pulse: Pulse) {
        self.roster.pulse(worker_id, pulse);
    }

    /// Something arrived from the worker.
    pub fn roster_seen(&mut self, worker_id: u64) {
        self.roster.seen(worker_id);
    }

    /// Records the exit status the client learned of for a lost worker.
    pub fn note_exit(&mut self, pid: u32, status: i32) -> bool {
        self.roster.note_exit(pid, status)
    }

    /// Process ids of lost workers whose exit status is not known yet.
    pub fn unexplained(&self) -> Vec<u32> {
        self.roster.unexplained()
    }

    /// The roster hears of a worker's connection ending.
    pub(super) fn roster_leave(&mut self, worker_id: u64, ending: Ending) {
        let task = self.running_task(worker_id);
        self.roster.leave(worker_id, ending, task);
    }

    /// Every connected worker ends with the dispatcher.
    pub(super) fn roster_close(&mut self) {
        let running: Vec<(u64, Option<Arc<str>>)> = self
            .roster
            .ids()
            .into_iter()
            .map(|worker_id| (worker_id, self.running_task(worker_id)))
            .collect();
        for (worker_id, task) in running {
            self.roster.leave(worker_id, Ending::Terminated, task);
        }
    }
}

/// Counts a resolved task by how it ended.
pub(super) fn count_ending(ended: &mut Ended, outcome: &Outcome) {
    match outcome.code {
        CODE_CRASH => ended.crashes += 1,
        CODE_CANCEL => ended.cancellations += 1,
        _ => {
            let success = outcome
                .meta
                .as_ref()
                .is_some_and(|meta| &*meta.status == "success");
            if !success {
                ended.errors += 1;
            }
        }
    }
}
