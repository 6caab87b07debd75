//! Workers joining, answering and leaving: credentials and their uses,
//! each worker's RNG stream, results and releases, and what happens to the
//! tasks a worker held when its connection ends.

use super::{Grant, Outcome, Place, State, CODE_CRASH};
use crate::dispatcher::roster::Ending;
use crate::incoming::{Incoming, Payload};
use crate::protocol::{Credential, ExitReason, Link, ResultMeta};
use std::sync::Arc;
use std::time::{Duration, Instant};

impl State {
    /// Issues a credential good for `uses` workers; returns its token.
    pub fn issue_credential(&mut self, uses: u64) -> String {
        self.issue_credential_within(uses, None)
    }

    /// Issues a credential good for `uses` workers that connect within
    /// `window`: a worker that comes later belongs to a launch the
    /// launcher counted as failed (and replaced), so it is refused. A
    /// credential is forgotten once spent; until then, even past its
    /// window, [`State::unspent`] counts the workers that never came.
    pub fn issue_credential_within(&mut self, uses: u64, window: Option<Duration>) -> String {
        let now = Instant::now();
        let credential = Credential::generate();
        let token = credential.token();
        self.grants.insert(
            credential.id.clone(),
            Grant {
                credential,
                uses: uses.max(1),
                issued: now,
                expires: window.and_then(|window| now.checked_add(window)),
            },
        );
        token
    }

    /// Checks a worker's proof and spends one use of its credential;
    /// returns when the credential was issued (the worker's launch).
    pub fn authenticate(&mut self, id: &str, nonce: &[u8; 32], proof: &[u8]) -> Option<Instant> {
        let grant = self.grants.get_mut(id)?;
        if grant
            .expires
            .is_some_and(|expires| expires <= Instant::now())
        {
            return None;
        }
        if !grant.credential.verify(nonce, proof) {
            return None;
        }
        grant.uses -= 1;
        let issued = grant.issued;
        if grant.uses == 0 {
            self.grants.remove(id);
        }
        Some(issued)
    }

    /// How many workers of the credential with this id never connected:
    /// 0 once it is spent (or for an id never issued).
    pub fn unspent(&self, id: &str) -> u64 {
        self.grants.get(id).map_or(0, |grant| grant.uses)
    }

    /// The next independent RNG stream, in R's `.Random.seed` layout.
    pub fn next_stream(&mut self) -> [i32; 7] {
        self.stream = self.stream.next();
        self.stream.to_r_seed()
    }

    /// Registers an authenticated worker with the process id and host it
    /// reported, launched at `launched`; `None` once the dispatcher closed.
    pub fn join(
        &mut self,
        link: Arc<Link>,
        pid: u32,
        host: &str,
        launched: Instant,
    ) -> Option<(u64, [i32; 7])> {
        if self.closed {
            return None;
        }
        let id = self.pool.join(link, pid);
        self.roster.join(id, host, pid, launched);
        let stream = self.next_stream();
        self.status.connections += 1;
        self.status.cumulative += 1;
        Some((id, stream))
    }

    /// The worker may receive tasks now (after its welcome was sent).
    pub fn ready(&mut self, worker_id: u64) {
        if self.pool.ready(worker_id) {
            self.assign();
            self.backlog.changed();
        }
    }

    /// A worker returned a result.
    pub fn result(
        &mut self,
        worker_id: u64,
        task_id: u64,
        meta: ResultMeta,
        payload: impl Into<Payload>,
    ) {
        self.roster.done(worker_id);
        if self.answered(worker_id, task_id).is_some() {
            let outcome = Outcome {
                code: meta.code,
                meta: Some(meta),
                payload: payload.into(),
                worker_pid: None,
            };
            self.resolve(task_id, outcome);
        }
        self.pool.file(worker_id);
        self.assign();
    }

    /// A large result of the task a worker runs started to arrive: a
    /// waiting thread may read it while the rest comes (see
    /// [`State::take_arriving`]). Only a weak reference is kept, so a
    /// result nobody reads early costs nothing here once it is dropped.
    /// The task can now only resolve (its worker cannot say goodbye in the
    /// middle of a frame), so its own bytes go: the client then holds the
    /// object, the result and its value, not the task's bytes as well.
    pub fn arriving(&mut self, worker_id: u64, task_id: u64, incoming: &Arc<Incoming>) {
        if self.place(task_id) != Some(Place::Running(worker_id)) {
            return;
        }
        self.free_payload(task_id);
        self.results.arriving(incoming);
        self.events.notify();
        if self.waiting_any + self.waiting_all > 0 {
            self.changed.notify_all();
        }
    }

    /// The oldest large result still arriving or arrived that no thread
    /// took for reading yet.
    pub fn take_arriving(&mut self) -> Option<Arc<Incoming>> {
        self.results.take_arriving()
    }

    /// A worker gave back a task it never started.
    pub fn released(&mut self, worker_id: u64, task_id: u64) {
        self.roster.seen(worker_id);
        if self.answered(worker_id, task_id).is_some() {
            self.requeue(task_id);
        }
        self.pool.file(worker_id);
        self.assign();
    }

    /// A worker's connection ended. After a goodbye, the tasks it still held
    /// were never started and go back to the front of the queue in order;
    /// otherwise the task it ran crashed with it, and the one it held behind
    /// that goes back.
    pub fn leave(&mut self, worker_id: u64, goodbye: bool) {
        let ending = if goodbye {
            Ending::Goodbye(ExitReason::Normal)
        } else {
            Ending::ConnectionLost
        };
        self.leave_with(worker_id, ending);
    }

    /// A worker's connection ended, as `ending` says; see [`State::leave`].
    pub fn leave_with(&mut self, worker_id: u64, ending: Ending) {
        let goodbye = matches!(ending, Ending::Goodbye(_) | Ending::Terminated);
        self.roster_leave(worker_id, ending);
        let Some(worker) = self.pool.leave(worker_id) else {
            return;
        };
        self.status.connections -= 1;
        for &task_id in worker.assigned().iter().rev() {
            match self.place(task_id) {
                Some(Place::Running(w)) if w == worker_id && !goodbye => {
                    let crash = Outcome {
                        worker_pid: Some(worker.pid),
                        ..Outcome::code_only(CODE_CRASH)
                    };
                    self.resolve(task_id, crash);
                }
                Some(Place::Running(w) | Place::Held(w)) if w == worker_id => self.requeue(task_id),
                _ => {}
            }
        }
        self.assign();
        self.backlog.changed();
    }
}
