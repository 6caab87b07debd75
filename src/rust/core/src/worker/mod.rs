//! The worker side of a connection. A session on the shared runtime dials
//! the dispatcher and authenticates; from then on its reader hands tasks
//! straight to the thread that evaluates them (R's main thread), which
//! writes each result back itself. The session keeps heartbeats and the
//! idle, wall and task limits. If the dispatcher vanishes while a task
//! runs, it signals its own process so the worker never outlives its
//! client.

mod session;

use crate::protocol::{Credential, ExitReason, Link, Message, ResultMeta};
use crate::runtime::runtime;
use crate::{Error, Result};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// How long the evaluating thread polls for the next task before it
/// sleeps. The next task usually follows a result within a few hundred
/// microseconds, and waking a sleeping thread costs tens of microseconds
/// on small virtual machines; polling yields the CPU between checks, so it
/// costs little when other work is waiting.
const SPIN: Duration = Duration::from_micros(200);

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
    /// Signal sent to the own process if the dispatcher vanishes mid-task.
    pub exit_signal: Option<i32>,
    /// How to verify the dispatcher (and present a worker certificate),
    /// for `tls+tcp://` URLs.
    pub tls: Option<crate::tls::WorkerTls>,
}

/// What the evaluating thread receives.
#[derive(Debug)]
pub enum Event {
    /// Connected and accepted; the worker's own RNG stream.
    Ready { stream: [i32; 7] },
    /// A task to evaluate.
    Task {
        id: u64,
        name: String,
        payload: Vec<u8>,
    },
    /// The session ended.
    Exit(ExitReason),
}

/// What the session learns from the reader and the evaluating thread.
#[derive(Debug)]
pub(crate) enum Control {
    /// A task was handed to the evaluating thread.
    Started,
    /// The evaluating thread sent a result; `done` tasks so far.
    Finished { done: u64 },
    /// The dispatcher asked the worker to stop.
    Shutdown,
    /// The connection ended or went silent.
    Lost,
}

/// Whether the worker may take a task: shared by the reader (which starts
/// tasks), the evaluating thread (which finishes them) and the session
/// (which decides to leave). Leaving wins: once set, no task is started.
pub(crate) const IDLE: u8 = 0;
pub(crate) const BUSY: u8 = 1;
pub(crate) const LEAVING: u8 = 2;

/// State shared between the session and the evaluating thread.
pub(crate) struct Shared {
    pub phase: AtomicU8,
    /// Id of the task the evaluating thread is running (valid while busy).
    pub current: AtomicU64,
    pub done: AtomicU64,
    pub link: OnceLock<Arc<Link>>,
    pub control: UnboundedSender<Control>,
}

/// The evaluating thread's handle on a worker session.
pub struct WorkerClient {
    events: Mutex<Receiver<Event>>,
    shared: Arc<Shared>,
    max_tasks: Option<u64>,
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

impl WorkerClient {
    /// Starts the session; the first event says whether it connected.
    pub fn start(config: WorkerConfig) -> Result<WorkerClient> {
        let rt = runtime()?;
        let (events_tx, events_rx) = std::sync::mpsc::channel();
        let (control_tx, control_rx) = tokio::sync::mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            phase: AtomicU8::new(IDLE),
            current: AtomicU64::new(0),
            done: AtomicU64::new(0),
            link: OnceLock::new(),
            control: control_tx,
        });
        let max_tasks = config.max_tasks;
        rt.spawn(session::run(config, events_tx, control_rx, shared.clone()));
        Ok(WorkerClient {
            events: Mutex::new(events_rx),
            shared,
            max_tasks,
        })
    }

    /// The next event, or `None` if none arrives within `wait`.
    pub fn next_event(&self, wait: Duration) -> Option<Event> {
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let spin_until = std::time::Instant::now() + SPIN.min(wait);
        while std::time::Instant::now() < spin_until {
            match events.try_recv() {
                Ok(event) => return Some(event),
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    return Some(Event::Exit(ExitReason::Lost))
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => std::thread::yield_now(),
            }
        }
        match events.recv_timeout(wait) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Event::Exit(ExitReason::Lost)),
        }
    }

    /// Writes a task's result to the dispatcher from the calling thread.
    /// Returns false if the connection is gone; the session then ends and
    /// the next event says so.
    pub fn send_result(&self, id: u64, meta: ResultMeta, payload: Vec<u8>) -> bool {
        let done = self.shared.done.fetch_add(1, Ordering::SeqCst) + 1;
        let last = self.max_tasks.is_some_and(|max| done >= max);
        // After the last allowed task nothing more may start, even a task
        // that arrives before the session has said goodbye.
        let next = if last { LEAVING } else { IDLE };
        let _ = self
            .shared
            .phase
            .compare_exchange(BUSY, next, Ordering::SeqCst, Ordering::SeqCst);
        let sent = match (self.shared.link.get(), runtime()) {
            (Some(link), Ok(rt)) => rt
                .block_on(link.send(&Message::Result { id, meta }, &payload))
                .is_ok(),
            _ => false,
        };
        let _ = self.shared.control.send(Control::Finished { done });
        sent
    }
}

/// Asks the kernel to send `signal` to this process when its parent exits
/// (Linux), and reports whether the expected parent is still there.
pub fn follow_parent(parent: u32, signal: i32) -> bool {
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, signal as libc::c_ulong, 0, 0, 0);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = signal;
    std::os::unix::process::parent_id() == parent
}
