//! The worker side of a connection. A session on the shared runtime dials
//! the dispatcher and authenticates; from then on its reader puts tasks in
//! the worker's line, from which the evaluating thread (R's main thread)
//! takes them and writes each result back itself. The dispatcher may send a
//! second task while one runs, so the evaluating thread finds the next task
//! waiting instead of waiting a network round trip for it; a task that has
//! not started can be taken back. The session keeps heartbeats and the
//! idle, wall and task limits. If the dispatcher vanishes while a task
//! runs, it signals its own process so the worker never outlives its
//! client.

mod reader;
mod session;

pub use crate::incoming::{Broken, Cursor, Incoming, Payload};

use crate::dispatcher::CODE_CANCEL;
use crate::protocol::link::Put;
use crate::protocol::{Credential, ExitReason, Link, Message, ResultExtras, ResultMeta, Seed};
use crate::runtime::runtime;
use crate::{Error, Result};
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

/// How a worker connects and when it leaves.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// `host:port` of the dispatcher.
    pub address: String,
    pub credential: Credential,
    /// How long to keep dialling before giving up.
    pub connect_timeout: Duration,
    /// Leave after this long without a task.
    pub idle: Option<Duration>,
    /// Leave at the first task boundary after this long.
    pub wall: Option<Duration>,
    /// Leave after this many tasks.
    pub max_tasks: Option<u64>,
    /// The idle and wall timers start after this many tasks.
    pub timers_after: u64,
    pub heartbeat_interval: Duration,
    pub heartbeat_timeout: Duration,
    /// How the process ends if the dispatcher vanishes mid-task: this
    /// signal on Unix, the matching exit status on Windows (see
    /// `os::end_this_process`).
    pub exit_signal: Option<i32>,
    /// Stops a cancelled task on the evaluating thread; `None` leaves a
    /// cancelled task to run to its end.
    pub interrupt: Option<Interrupt>,
    /// How to verify the dispatcher (and present a worker certificate),
    /// for `tls+tcp://` URLs.
    pub tls: Option<crate::tls::WorkerTls>,
}

/// Interrupts the evaluating thread from another thread, the way its
/// evaluator takes interrupts (for R: SIGINT to the thread on Unix, the
/// user-break flag on Windows).
#[derive(Clone)]
pub struct Interrupt(Arc<dyn Fn() + Send + Sync>);

impl Interrupt {
    /// An interrupt that runs `interrupt`.
    pub fn new(interrupt: impl Fn() + Send + Sync + 'static) -> Interrupt {
        Interrupt(Arc::new(interrupt))
    }
}

impl std::fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Interrupt")
    }
}

/// What the evaluating thread receives.
#[derive(Debug)]
pub enum Event {
    /// Connected and accepted: the worker's own RNG stream, and what the
    /// dispatcher sends every worker before its first task (see
    /// `dispatcher::Config::welcome`).
    Ready { stream: [i32; 7], setup: Vec<u8> },
    /// A task to evaluate.
    Task {
        id: u64,
        name: String,
        payload: Payload,
        /// For a task of a batch: the id and bytes of the part it shares
        /// with the other tasks of the batch; `payload` holds its own items.
        part: Option<(u64, Arc<Vec<u8>>)>,
    },
    /// The session ended.
    Exit(ExitReason),
}

/// What the session learns from the reader and the evaluating thread. The
/// evaluating thread writes only when something changes for the session
/// (its timers start, or it must leave), never once per task.
#[derive(Debug)]
pub(crate) enum Control {
    /// The worker finished `timers_after` tasks: its idle and wall timers
    /// start now.
    TimersStarted,
    /// The worker reached a limit at a task boundary and leaves.
    Leave(ExitReason),
    /// The dispatcher asked the worker to stop.
    Shutdown,
    /// The connection ended or went silent.
    Lost,
}

/// A task in the line, received and not started.
#[derive(Debug)]
pub(crate) struct Waiting {
    pub id: u64,
    pub name: String,
    pub payload: Payload,
    pub part: Option<(u64, Arc<Vec<u8>>)>,
}

/// The worker's line: what the reader, the session and the evaluating
/// thread decide together, under one lock.
#[derive(Debug)]
pub(crate) struct Line {
    /// The worker's RNG stream and the bytes of its welcome, until taken.
    pub ready: Option<([i32; 7], Vec<u8>)>,
    pub queue: VecDeque<Waiting>,
    /// The task the evaluating thread took and has not answered.
    pub running: Option<u64>,
    /// No task may start any more; the ones in the queue are never run.
    pub leaving: bool,
    pub exit: Option<ExitReason>,
    /// The evaluating thread sleeps on `wake`.
    pub sleeping: bool,
    pub done: u64,
    /// When the last result was sent.
    pub last_done: Instant,
    /// The wall time passed while a task ran: leave after it.
    pub wall_passed: bool,
}

impl Default for Line {
    fn default() -> Line {
        Line {
            ready: None,
            queue: VecDeque::new(),
            running: None,
            leaving: false,
            exit: None,
            sleeping: false,
            done: 0,
            last_done: Instant::now(),
            wall_passed: false,
        }
    }
}

impl Line {
    /// Leaves if the worker has nothing to do at all (the idle limit).
    pub fn leave_if_idle(&mut self) -> bool {
        if self.running.is_none() && self.queue.is_empty() {
            self.leaving = true;
        }
        self.leaving
    }

    /// Leaves unless a task runs (the wall limit, at a task boundary);
    /// tasks waiting in the queue go back to the dispatcher.
    pub fn leave_between_tasks(&mut self) -> bool {
        if self.running.is_none() {
            self.leaving = true;
        }
        self.leaving
    }
}

/// State shared between the session and the evaluating thread.
pub(crate) struct Shared {
    pub line: Mutex<Line>,
    pub wake: Condvar,
    pub link: OnceLock<Arc<Link>>,
    pub control: UnboundedSender<Control>,
    /// Stops the task running on the evaluating thread.
    pub interrupt: Option<Interrupt>,
}

impl Shared {
    pub fn line(&self) -> MutexGuard<'_, Line> {
        self.line.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes the evaluating thread if it sleeps, after unlocking the line:
    /// woken while the lock is still held, it would only block on the lock
    /// and sleep again, two context switches per task instead of one.
    pub fn nudge(&self, line: MutexGuard<'_, Line>) {
        let sleeping = line.sleeping;
        drop(line);
        if sleeping {
            self.wake.notify_one();
        }
    }

    /// Interrupts the evaluating thread; called with the line locked and
    /// `running` equal to the cancelled task, so the interrupt is pending on
    /// that thread before it can take another task.
    pub fn interrupt(&self) {
        if let Some(interrupt) = &self.interrupt {
            (interrupt.0)();
        }
    }
}

/// The evaluating thread's handle on a worker session.
pub struct WorkerClient {
    shared: Arc<Shared>,
    max_tasks: Option<u64>,
    timers_after: u64,
}

/// Parses `tcp://host:port` (or a bare `host:port`) into `host:port`.
pub fn address_from_url(url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("tls+tcp://")
        .or_else(|| url.strip_prefix("tcp://"))
        .unwrap_or(url);
    let ok = rest
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if ok {
        Ok(rest.to_string())
    } else {
        Err(Error::InvalidArgument(format!(
            "'{url}' is not a URL of the form tcp://host:port or tls+tcp://host:port"
        )))
    }
}

/// The result sent for a task whose evaluation was interrupted before the
/// evaluating thread could answer for it.
fn interrupted() -> ResultMeta {
    ResultMeta {
        status: "cancel".into(),
        code: CODE_CANCEL,
        command: None,
        extras: ResultExtras::boxed(
            Some("the task was interrupted".into()),
            None,
            None,
            Seed::Missing,
            None,
        ),
        seconds: None,
        controller: None,
    }
}

impl WorkerClient {
    /// Starts the session; the first event says whether it connected. The
    /// calling thread is the evaluating thread.
    pub fn start(config: WorkerConfig) -> Result<WorkerClient> {
        crate::runtime::prefer_threads(1);
        let rt = runtime()?;
        let (control_tx, control_rx) = tokio::sync::mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            line: Mutex::new(Line::default()),
            wake: Condvar::new(),
            link: OnceLock::new(),
            control: control_tx,
            interrupt: config.interrupt.clone(),
        });
        let max_tasks = config.max_tasks;
        let timers_after = config.timers_after;
        rt.spawn(session::run(config, control_rx, shared.clone()));
        Ok(WorkerClient {
            shared,
            max_tasks,
            timers_after,
        })
    }

    /// The next event, or `None` if none arrives within `wait`. Before a
    /// task is handed out, `on_start` runs with the line locked: after it,
    /// an interrupt can only be meant for the new task.
    pub fn next_event(&self, wait: Duration, on_start: impl FnOnce()) -> Option<Event> {
        let deadline = crate::duration::deadline_in(wait);
        let mut line = self.shared.line();
        if let Some(stale) = line.running {
            // The task was interrupted after it ended and before its result
            // went out: the dispatcher still waits for an answer.
            drop(line);
            self.send_result(stale, interrupted(), Vec::new());
            line = self.shared.line();
        }
        loop {
            if let Some((stream, setup)) = line.ready.take() {
                return Some(Event::Ready { stream, setup });
            }
            if let Some(reason) = line.exit {
                return Some(Event::Exit(reason));
            }
            if !line.leaving {
                if let Some(task) = line.queue.pop_front() {
                    on_start();
                    line.running = Some(task.id);
                    return Some(Event::Task {
                        id: task.id,
                        name: task.name,
                        payload: task.payload,
                        part: task.part,
                    });
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            line.sleeping = true;
            line = self
                .shared
                .wake
                .wait_timeout(line, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            line.sleeping = false;
        }
    }

    /// Writes a task's result to the dispatcher from the calling thread.
    /// Returns false if the connection is gone; the session then ends and
    /// the next event says so.
    pub fn send_result(&self, id: u64, meta: ResultMeta, payload: Vec<u8>) -> bool {
        let boundary = self.task_ended(id);
        let sent = match (self.shared.link.get(), runtime()) {
            (Some(link), Ok(rt)) => {
                let _held = crate::os::hold_broken_pipe_signal();
                rt.block_on(link.send(&Message::Result { id, meta }, &payload))
                    .is_ok()
            }
            _ => false,
        };
        crate::discard::discard_bytes(payload);
        self.cross(boundary);
        sent
    }

    /// `send_result()` for a value of `len` bytes that `produce` writes in
    /// pieces as they are sent (see `Link::send_produced`), so that a large
    /// value is never copied whole.
    pub fn send_result_produced(
        &self,
        id: u64,
        meta: ResultMeta,
        len: usize,
        produce: impl FnOnce(&mut Put) -> bool,
    ) -> bool {
        let boundary = self.task_ended(id);
        let sent = match (self.shared.link.get(), runtime()) {
            (Some(link), Ok(rt)) => link
                .send_produced(rt, &Message::Result { id, meta }, len, produce)
                .is_ok(),
            _ => false,
        };
        self.cross(boundary);
        sent
    }

    /// Counts a finished task and decides whether the worker leaves at this
    /// task boundary.
    fn task_ended(&self, id: u64) -> Boundary {
        let mut line = self.shared.line();
        if line.running == Some(id) {
            line.running = None;
        }
        line.done += 1;
        line.last_done = Instant::now();
        // After the last allowed task nothing more may start, even a
        // task that is already waiting in the line; after the wall time
        // the worker leaves at this task boundary.
        let leave = if self.max_tasks.is_some_and(|max| line.done >= max) {
            Some(ExitReason::MaxTasks)
        } else if line.wall_passed {
            Some(ExitReason::Wall)
        } else {
            None
        };
        let leave = leave.filter(|_| !line.leaving);
        if leave.is_some() {
            line.leaving = true;
        }
        Boundary {
            leave,
            timers: line.done == self.timers_after,
        }
    }

    /// Tells the session what the task boundary decided, once its result
    /// is out.
    fn cross(&self, boundary: Boundary) {
        if boundary.timers {
            let _ = self.shared.control.send(Control::TimersStarted);
        }
        if let Some(reason) = boundary.leave {
            let _ = self.shared.control.send(Control::Leave(reason));
        }
    }
}

/// What a finished task means for the session.
struct Boundary {
    leave: Option<ExitReason>,
    timers: bool,
}

/// Makes this process end with `signal` when its parent `parent` exits
/// (see `os::follow_parent`), and reports whether that parent is still
/// there.
pub fn follow_parent(parent: u32, signal: i32) -> bool {
    crate::os::follow_parent(parent, signal)
}
