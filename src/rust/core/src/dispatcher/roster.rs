//! Every worker of a dispatcher's life, as `crew_status()` and the
//! dashboard show it: where it runs, what it does now, the resources its
//! last pulse reported, and for a worker that left, how it ended. Kept
//! from what the dispatcher sees anyway (joins, tasks sent and answered,
//! one pulse per worker and heartbeat interval), so reading it takes no
//! round trip to any worker.

use crate::protocol::ExitReason;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

/// How many workers that left are remembered: the most recent ones.
pub const ENDED_MAX: usize = 1000;

/// The longest host name kept from a worker's hello.
pub const HOST_BYTES_MAX: usize = 255;

/// What a worker is doing, or how its connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerState {
    /// Launched (its credential issued) and not connected yet.
    Launching,
    /// Connected with no task.
    Idle,
    /// Connected and running a task.
    Running,
    /// Its connection ended without a goodbye.
    Lost,
    /// It left on its own or the controller ended it.
    Exited,
}

impl WorkerState {
    pub fn name(self) -> &'static str {
        match self {
            WorkerState::Launching => "launching",
            WorkerState::Idle => "idle",
            WorkerState::Running => "running",
            WorkerState::Lost => "lost",
            WorkerState::Exited => "exited",
        }
    }
}

/// How a worker's connection ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ending {
    /// The worker said goodbye, for this reason.
    Goodbye(ExitReason),
    /// The controller terminated.
    Terminated,
    /// The connection closed or failed without a goodbye.
    ConnectionLost,
    /// Nothing arrived for this many seconds.
    MissedHeartbeats(f64),
}

impl Ending {
    pub fn state(self) -> WorkerState {
        match self {
            Ending::Goodbye(_) | Ending::Terminated => WorkerState::Exited,
            Ending::ConnectionLost | Ending::MissedHeartbeats(_) => WorkerState::Lost,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Ending::Goodbye(reason) => reason.describe().to_string(),
            Ending::Terminated => "the controller terminated".to_string(),
            Ending::ConnectionLost => "connection lost".to_string(),
            Ending::MissedHeartbeats(seconds) => {
                format!("missed heartbeats for {seconds:.0} s")
            }
        }
    }
}

/// A worker's own report of its resource use, sent once per heartbeat
/// interval.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Pulse {
    /// Percent of one core since the previous pulse.
    pub cpu_percent: f32,
    pub resident_bytes: u64,
}

/// One worker as `crew_status()` shows it. Times are seconds before the
/// moment the row was made.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerRow {
    /// The dispatcher's id of the worker; `None` while launching.
    pub worker: Option<u64>,
    pub host: Option<Arc<str>>,
    pub pid: Option<u32>,
    pub state: WorkerState,
    pub seconds_launched: Option<f64>,
    pub task: Option<Arc<str>>,
    pub seconds_task: Option<f64>,
    pub tasks_done: u64,
    pub cpu_percent: Option<f64>,
    pub resident_bytes: Option<u64>,
    pub peak_resident_bytes: Option<u64>,
    pub seconds_heartbeat: Option<f64>,
    pub ending: Option<Ending>,
    /// The exit status the client learned of (negative: the signal).
    pub exit_status: Option<i32>,
}

/// A connected worker's record.
#[derive(Debug)]
struct Live {
    host: Arc<str>,
    pid: u32,
    launched: Instant,
    last_seen: Instant,
    pulse: Option<Pulse>,
    peak_resident_bytes: u64,
    tasks_done: u64,
    /// Since when the task first in its line has been there.
    running_since: Instant,
}

/// A worker that left, frozen at the moment it left.
#[derive(Debug, Clone)]
struct Ended {
    row: WorkerRow,
    at: Instant,
}

/// The workers of one dispatcher's life.
#[derive(Debug, Default)]
pub struct Roster {
    live: HashMap<u64, Live>,
    ended: VecDeque<Ended>,
}

fn seconds(since: Instant, now: Instant) -> f64 {
    now.saturating_duration_since(since).as_secs_f64()
}

/// A host name safe to keep: at most [`HOST_BYTES_MAX`] bytes, cut at a
/// character boundary, without control characters.
pub fn clean_host(host: &str) -> Arc<str> {
    let mut end = host.len().min(HOST_BYTES_MAX);
    while !host.is_char_boundary(end) {
        end -= 1;
    }
    let cleaned: String = host[..end]
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect();
    Arc::from(cleaned)
}

impl Roster {
    /// A worker connected, launched at `launched`.
    pub fn join(&mut self, worker: u64, host: &str, pid: u32, launched: Instant) {
        let now = Instant::now();
        self.live.insert(
            worker,
            Live {
                host: clean_host(host),
                pid,
                launched,
                last_seen: now,
                pulse: None,
                peak_resident_bytes: 0,
                tasks_done: 0,
                running_since: now,
            },
        );
    }

    /// Something arrived from the worker.
    pub fn seen(&mut self, worker: u64) {
        if let Some(live) = self.live.get_mut(&worker) {
            live.last_seen = Instant::now();
        }
    }

    /// The worker's pulse arrived.
    pub fn pulse(&mut self, worker: u64, pulse: Pulse) {
        if let Some(live) = self.live.get_mut(&worker) {
            live.last_seen = Instant::now();
            live.peak_resident_bytes = live.peak_resident_bytes.max(pulse.resident_bytes);
            live.pulse = Some(pulse);
        }
    }

    /// The task first in the worker's line changed (a task started).
    pub fn started(&mut self, worker: u64) {
        if let Some(live) = self.live.get_mut(&worker) {
            live.running_since = Instant::now();
        }
    }

    /// The worker returned a result.
    pub fn done(&mut self, worker: u64) {
        if let Some(live) = self.live.get_mut(&worker) {
            live.tasks_done += 1;
            live.last_seen = Instant::now();
        }
    }

    /// The worker's connection ended; `task` is what it was running.
    pub fn leave(&mut self, worker: u64, ending: Ending, task: Option<Arc<str>>) {
        let Some(live) = self.live.remove(&worker) else {
            return;
        };
        let now = Instant::now();
        let mut row = Self::row(worker, &live, task, now);
        row.state = ending.state();
        row.ending = Some(ending);
        if ending.state() == WorkerState::Exited {
            row.task = None;
            row.seconds_task = None;
        }
        if self.ended.len() == ENDED_MAX {
            self.ended.pop_front();
        }
        self.ended.push_back(Ended { row, at: now });
    }

    /// Records the exit status the client learned of for the worker that
    /// had process id `pid` and was lost; true if such a worker is known.
    pub fn note_exit(&mut self, pid: u32, status: i32) -> bool {
        let found = self
            .ended
            .iter_mut()
            .rev()
            .find(|ended| ended.row.pid == Some(pid) && ended.row.state == WorkerState::Lost);
        match found {
            Some(ended) => {
                ended.row.exit_status = Some(status);
                true
            }
            None => false,
        }
    }

    /// Process ids of lost workers whose exit status is not known yet.
    pub fn unexplained(&self) -> Vec<u32> {
        self.ended
            .iter()
            .filter(|ended| ended.row.state == WorkerState::Lost && ended.row.exit_status.is_none())
            .filter_map(|ended| ended.row.pid)
            .collect()
    }

    fn row(worker: u64, live: &Live, task: Option<Arc<str>>, now: Instant) -> WorkerRow {
        let running = task.is_some();
        WorkerRow {
            worker: Some(worker),
            host: Some(live.host.clone()),
            pid: Some(live.pid),
            state: if running {
                WorkerState::Running
            } else {
                WorkerState::Idle
            },
            seconds_launched: Some(seconds(live.launched, now)),
            seconds_task: running.then(|| seconds(live.running_since, now)),
            task,
            tasks_done: live.tasks_done,
            cpu_percent: live.pulse.map(|p| f64::from(p.cpu_percent)),
            resident_bytes: live.pulse.map(|p| p.resident_bytes),
            peak_resident_bytes: live.pulse.map(|_| live.peak_resident_bytes),
            seconds_heartbeat: Some(seconds(live.last_seen, now)),
            ending: None,
            exit_status: None,
        }
    }

    /// Every worker: the ones that left (oldest first), the connected ones
    /// by id, then one row per launched worker not yet connected (`launching`
    /// gives the moment of each launch). `task` names what a connected
    /// worker runs.
    pub fn rows(
        &self,
        task: impl Fn(u64) -> Option<Arc<str>>,
        launching: impl Iterator<Item = Instant>,
    ) -> Vec<WorkerRow> {
        let now = Instant::now();
        let mut rows: Vec<WorkerRow> = self
            .ended
            .iter()
            .map(|ended| {
                let mut row = ended.row.clone();
                let before = seconds(ended.at, now);
                row.seconds_launched = row.seconds_launched.map(|s| s + before);
                row.seconds_heartbeat = row.seconds_heartbeat.map(|s| s + before);
                row
            })
            .collect();
        let mut ids: Vec<u64> = self.live.keys().copied().collect();
        ids.sort_unstable();
        rows.extend(
            ids.into_iter()
                .map(|id| Self::row(id, &self.live[&id], task(id), now)),
        );
        rows.extend(launching.map(|launched| WorkerRow {
            worker: None,
            host: None,
            pid: None,
            state: WorkerState::Launching,
            seconds_launched: Some(seconds(launched, now)),
            task: None,
            seconds_task: None,
            tasks_done: 0,
            cpu_percent: None,
            resident_bytes: None,
            peak_resident_bytes: None,
            seconds_heartbeat: None,
            ending: None,
            exit_status: None,
        }));
        rows
    }

    /// The ids of the connected workers, in order.
    pub fn ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.live.keys().copied().collect();
        ids.sort_unstable();
        ids
    }
}

/// The dispatcher's counts of tasks, as the dashboard's tiles show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Board {
    pub queued: u64,
    pub held: u64,
    pub running: u64,
    /// Resolved tasks, taken or not.
    pub done: u64,
    pub errors: u64,
    pub crashes: u64,
    pub cancellations: u64,
    pub connected: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_goes_from_launching_to_lost_with_its_last_sample() {
        let mut roster = Roster::default();
        let launched = Instant::now();
        let rows = roster.rows(|_| None, std::iter::once(launched));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].state, WorkerState::Launching);
        roster.join(1, "node\n1", 42, launched);
        roster.pulse(
            1,
            Pulse {
                cpu_percent: 50.0,
                resident_bytes: 300,
            },
        );
        roster.pulse(
            1,
            Pulse {
                cpu_percent: 10.0,
                resident_bytes: 100,
            },
        );
        roster.started(1);
        let task: Arc<str> = Arc::from("t");
        let rows = roster.rows(|_| Some(task.clone()), std::iter::empty());
        assert_eq!(rows[0].state, WorkerState::Running);
        assert_eq!(rows[0].host.as_deref(), Some("node_1"));
        assert_eq!(rows[0].resident_bytes, Some(100));
        assert_eq!(rows[0].peak_resident_bytes, Some(300));
        assert!(rows[0].seconds_task.is_some());
        roster.done(1);
        roster.leave(1, Ending::ConnectionLost, Some(task.clone()));
        assert_eq!(roster.unexplained(), vec![42]);
        assert!(roster.note_exit(42, -9));
        assert!(roster.unexplained().is_empty());
        let rows = roster.rows(|_| None, std::iter::empty());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].state, WorkerState::Lost);
        assert_eq!(rows[0].task.as_deref(), Some("t"));
        assert_eq!(rows[0].tasks_done, 1);
        assert_eq!(rows[0].exit_status, Some(-9));
    }

    #[test]
    fn only_the_most_recent_ended_workers_are_kept() {
        let mut roster = Roster::default();
        for id in 0..(ENDED_MAX as u64 + 10) {
            roster.join(id, "h", id as u32, Instant::now());
            roster.leave(id, Ending::Goodbye(ExitReason::Idle), None);
        }
        let rows = roster.rows(|_| None, std::iter::empty());
        assert_eq!(rows.len(), ENDED_MAX);
        assert_eq!(rows[0].worker, Some(10));
        assert_eq!(rows[0].state, WorkerState::Exited);
    }

    #[test]
    fn host_names_are_cut_at_a_character_boundary() {
        let long = "é".repeat(200);
        let host = clean_host(&long);
        assert!(host.len() <= HOST_BYTES_MAX);
        assert!(host.chars().all(|c| c == 'é'));
    }
}
