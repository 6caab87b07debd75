//! The worker side of a connection. A session on the shared runtime dials
//! the dispatcher, authenticates, and then relays tasks to the thread that
//! evaluates them (R's main thread) through a channel, while it keeps
//! heartbeats and the idle, wall and task limits on its own. If the
//! dispatcher vanishes while a task runs, it signals its own process so the
//! worker never outlives its client.

mod session;

use crate::protocol::{Credential, ExitReason, ResultMeta};
use crate::runtime::runtime;
use crate::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
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
    /// Signal sent to the own process if the dispatcher vanishes mid-task.
    pub exit_signal: Option<i32>,
}

/// What the evaluating thread receives.
#[derive(Debug)]
pub enum Event {
    /// Connected and accepted; the worker's own RNG stream.
    Ready { stream: [i32; 7] },
    /// A task to evaluate.
    Task { id: u64, name: String, payload: Vec<u8> },
    /// The session ended.
    Exit(ExitReason),
}

/// A result on its way back.
pub(crate) struct Outgoing {
    pub id: u64,
    pub meta: ResultMeta,
    pub payload: Vec<u8>,
}

/// The evaluating thread's handle on a worker session.
pub struct WorkerClient {
    events: Mutex<Receiver<Event>>,
    results: UnboundedSender<Outgoing>,
    busy: Arc<AtomicBool>,
}

/// Parses `tcp://host:port` (or a bare `host:port`) into `host:port`.
pub fn address_from_url(url: &str) -> Result<String> {
    let rest = url.strip_prefix("tcp://").unwrap_or(url);
    if rest.starts_with("tls+tcp://") || url.starts_with("tls+tcp://") {
        return Err(Error::InvalidArgument(
            "TLS URLs are not supported by this worker".into(),
        ));
    }
    let ok = rest
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
    if ok {
        Ok(rest.to_string())
    } else {
        Err(Error::InvalidArgument(format!(
            "'{url}' is not a URL of the form tcp://host:port"
        )))
    }
}

impl WorkerClient {
    /// Starts the session; the first event says whether it connected.
    pub fn start(config: WorkerConfig) -> Result<WorkerClient> {
        let rt = runtime()?;
        let (events_tx, events_rx) = std::sync::mpsc::channel();
        let (results_tx, results_rx) = tokio::sync::mpsc::unbounded_channel();
        let busy = Arc::new(AtomicBool::new(false));
        rt.spawn(session::run(config, events_tx, results_rx, busy.clone()));
        Ok(WorkerClient {
            events: Mutex::new(events_rx),
            results: results_tx,
            busy,
        })
    }

    /// The next event, or `None` if none arrives within `wait`.
    pub fn next_event(&self, wait: Duration) -> Option<Event> {
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        match events.recv_timeout(wait) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Event::Exit(ExitReason::Lost)),
        }
    }

    /// Sends a task's result back to the dispatcher.
    pub fn send_result(&self, id: u64, meta: ResultMeta, payload: Vec<u8>) -> Result<()> {
        self.busy.store(false, Ordering::SeqCst);
        self.results
            .send(Outgoing { id, meta, payload })
            .map_err(|_| Error::Protocol("the worker's connection has closed".into()))
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
