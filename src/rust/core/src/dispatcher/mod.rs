//! The dispatcher: one per controller, running on the shared runtime
//! inside the client process, so it keeps dispatching while R is busy and
//! dies with the client. Dispatchers on the same host and port share one
//! listening socket (see `listener.rs`).

mod backlog_watch;
pub mod batch;
mod deliver;
mod listener;
mod member;
pub mod outcome;
pub mod roster;
mod session;
mod shared_text;
mod slab;
pub mod state;
pub mod tally;

pub use batch::Items;
pub use outcome::{Cells, Outcome, Taken, TaskCell, Waker, CODE_CANCEL, CODE_CRASH, CODE_TIMEOUT};
pub use state::{Delivery, Status};
pub use tally::Tally;

use crate::event_count::EventCount;
use crate::incoming::Incoming;
use crate::protocol::{Credential, Limits};
use crate::runtime::runtime;
use crate::Result;
use deliver::{deliver, deliver_blocking};
use listener::Listener;
use state::State;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::watch;

/// How [`Dispatcher::wait_or_arriving`] ended.
#[derive(Debug)]
pub enum Woken {
    /// The condition waited for holds.
    Holds,
    /// The time ran out first.
    TimedOut,
    /// A large result started to arrive.
    Arriving(Arc<Incoming>),
}

/// Connections allowed to be in their handshake at once; more are refused
/// at accept so a flood cannot exhaust memory or file descriptors.
pub(crate) const MAX_HANDSHAKES: usize = 512;

/// How long a waiting caller watches for a resolution before it sleeps:
/// a short task on an idle worker resolves within this window, and waking
/// a sleeping thread costs tens of microseconds on small virtual machines.
/// The watch reads one atomic counter and takes no lock, so it does not
/// slow the threads that resolve tasks, and it ends early at the first
/// resolution. Workers do not watch: on a machine with as many workers as
/// cores, a spinning worker takes the CPU its client needs.
const WATCH: Duration = Duration::from_micros(150);

/// Timings of the connection protocol.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub heartbeat_interval: Duration,
    pub heartbeat_timeout: Duration,
    pub handshake_timeout: Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            heartbeat_interval: Duration::from_secs(1),
            heartbeat_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// Where to listen and how.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub timing: Timing,
    /// Serve workers over TLS with this configuration.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The certificate workers trust, as PEM text, to hand to launchers.
    pub certificate: Option<String>,
    /// Bytes every worker receives with its welcome, before any task: the
    /// controller's settings that workers must share (opaque here).
    pub welcome: Vec<u8>,
    /// A description of the TLS settings (mode, certificates, worker
    /// authority): dispatchers that share a port must give the same one.
    /// The socket keeps the TLS identity of the dispatcher that opened it.
    pub tls_settings: String,
}

/// A running dispatcher.
pub struct Dispatcher {
    state: Arc<Mutex<State>>,
    signal: Arc<EventCount>,
    listener: Arc<Listener>,
    member: u64,
    /// Ends this dispatcher's worker sessions.
    shutdown: watch::Sender<bool>,
    tally: Mutex<Tally>,
}

pub(crate) fn bind_address(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

impl Dispatcher {
    /// Binds the listener (synchronously, so the port is known and errors
    /// surface at once), or joins the one that other dispatchers of this
    /// process have on the same host and port, and starts accepting
    /// workers.
    pub fn start(config: Config) -> Result<Dispatcher> {
        runtime()?;
        let signal = EventCount::new();
        let mut state = State::new(signal.clone());
        state.welcome = Arc::new(config.welcome.clone());
        let state = Arc::new(Mutex::new(state));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (listener, member) = Listener::join(config, state.clone(), shutdown_rx)?;
        Ok(Dispatcher {
            state,
            signal,
            listener,
            member,
            shutdown,
            tally: Mutex::new(Tally::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The URL workers dial.
    pub fn url(&self) -> String {
        let scheme = if self.listener.tls() {
            "tls+tcp"
        } else {
            "tcp"
        };
        let address = bind_address(self.listener.host(), self.listener.port());
        format!("{scheme}://{address}")
    }

    /// The certificate workers trust (TLS only), as PEM text: that of the
    /// dispatcher that opened a shared socket.
    pub fn certificate(&self) -> Option<&str> {
        self.listener.certificate()
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.listener.port()
    }

    /// Signalled once per resolved task.
    pub fn signal(&self) -> Arc<EventCount> {
        self.signal.clone()
    }

    /// Calls `callback` once, at the next change that can call for more
    /// workers: a task queued, a worker joining or leaving (never once the
    /// dispatcher is terminated). It runs under the dispatcher's lock, on
    /// whatever thread made the change, so it must only pass the news on.
    pub fn on_backlog_change(&self, callback: Box<dyn FnOnce() + Send>) {
        let mut state = self.lock();
        if !state.is_closed() {
            state.backlog.add(callback);
        }
    }

    /// Totals of the results taken so far, kept by whoever turns taken
    /// results into rows.
    pub fn tally(&self) -> MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every worker of this dispatcher's life (see `roster.rs`).
    pub fn roster(&self) -> Vec<roster::WorkerRow> {
        self.lock().roster_rows()
    }

    /// The counts of tasks by where they are and how they ended.
    pub fn board(&self) -> roster::Board {
        self.lock().board()
    }

    /// Records the exit status the client learned of for the lost worker
    /// of process id `pid`; false if no such worker is known.
    pub fn note_exit(&self, pid: u32, status: i32) -> bool {
        self.lock().note_exit(pid, status)
    }

    /// Process ids of lost workers whose exit status is not known yet.
    pub fn unexplained(&self) -> Vec<u32> {
        self.lock().unexplained()
    }

    /// Whether the dispatcher was terminated.
    pub fn is_closed(&self) -> bool {
        self.lock().is_closed()
    }

    /// The counters.
    pub fn status(&self) -> Status {
        self.lock().status()
    }

    /// Queues one task under `name` (a fresh `unnamed_task_*` name if
    /// `None`); with a timeout, it resolves with code 5 when the deadline
    /// passes first. With `cell`, the task's outcome is also kept there for
    /// a handle. Returns the task's name.
    pub fn push(
        &self,
        name: Option<&str>,
        payload: Vec<u8>,
        timeout: Option<Duration>,
        cell: Option<(&Arc<Cells>, usize)>,
    ) -> Result<Arc<str>> {
        Limits::AUTHENTICATED.check_payload(payload.len())?;
        let (id, name, out) = {
            let mut state = self.lock();
            let (id, name) = state.push(name, payload, cell)?;
            (id, name, state.take_outgoing())
        };
        if !out.is_empty() {
            deliver_blocking(out);
        }
        if let Some(after) = timeout {
            self.expire_after(after, id..id + 1)?;
        }
        Ok(name)
    }

    /// Queues a batch of tasks that share `shared` (see [`Items`]); with a
    /// timeout, every task of the batch still unresolved when it passes
    /// resolves with code 5, through one timer for the whole batch. With
    /// `cells`, returns one cell per task, in order.
    pub fn push_batch(
        &self,
        shared: Vec<u8>,
        items: Box<dyn Items>,
        timeout: Option<Duration>,
        cells: bool,
    ) -> Result<Option<Arc<Cells>>> {
        Limits::AUTHENTICATED.check_payload(shared.len())?;
        let n = items.len() as u64;
        let (first, cells, out) = {
            let mut state = self.lock();
            let (first, cells) = state.push_batch(shared, items, cells)?;
            (first, cells, state.take_outgoing())
        };
        if !out.is_empty() {
            deliver_blocking(out);
        }
        if let Some(after) = timeout {
            self.expire_after(after, first..first + n)?;
        }
        Ok(cells)
    }

    /// After `after`, resolves the tasks of `ids` still unresolved with
    /// code 5, through one timer.
    fn expire_after(&self, after: Duration, ids: std::ops::Range<u64>) -> Result<()> {
        let state = Arc::downgrade(&self.state);
        runtime()?.spawn(async move {
            tokio::time::sleep(after).await;
            if let Some(state) = state.upgrade() {
                let out = {
                    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
                    for id in ids {
                        state.expire(id);
                    }
                    state.take_outgoing()
                };
                deliver(out).await;
            }
        });
        Ok(())
    }

    /// Waits up to `timeout` for the queue and the workers to be empty
    /// (`any = false`) or for any task to be resolved and not yet taken
    /// (`any = true`). Returns whether the condition holds. The waiting
    /// thread sleeps on a condition variable that each resolution signals;
    /// it never polls, so it leaves the CPU to the workers.
    pub fn wait_for(&self, any: bool, timeout: Duration) -> bool {
        matches!(self.wait(any, timeout, false), Woken::Holds)
    }

    /// [`Dispatcher::wait_for`] that also ends when a large result starts
    /// to arrive, handing its bytes to the caller to read while the rest
    /// comes. Each such result is handed out once.
    pub fn wait_or_arriving(&self, any: bool, timeout: Duration) -> Woken {
        self.wait(any, timeout, true)
    }

    fn wait(&self, any: bool, timeout: Duration, early: bool) -> Woken {
        let deadline = crate::duration::deadline_in(timeout);
        let check = |state: &mut State| {
            let holds = if any {
                state.has_resolved()
            } else {
                let s = state.status();
                s.awaiting + s.executing == 0
            };
            if holds {
                return Some(Woken::Holds);
            }
            if early {
                return state.take_arriving().map(Woken::Arriving);
            }
            None
        };
        let generation = self.signal.generation();
        let mut state = self.lock();
        if let Some(woken) = check(&mut state) {
            return woken;
        }
        let in_flight = {
            let s = state.status();
            s.awaiting + s.executing > 0
        };
        if in_flight && !timeout.is_zero() {
            drop(state);
            let watch_until = std::time::Instant::now() + WATCH.min(timeout);
            while self.signal.generation() == generation && std::time::Instant::now() < watch_until
            {
                std::hint::spin_loop();
            }
            state = self.lock();
            if let Some(woken) = check(&mut state) {
                return woken;
            }
        }
        let changed = state.changed();
        state.wait_begin(any);
        let woken = loop {
            if let Some(woken) = check(&mut state) {
                break woken;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break Woken::TimedOut;
            }
            state = changed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        };
        state.wait_end(any);
        woken
    }

    /// Cancels the named tasks, or all of them.
    pub fn cancel(&self, names: &[String], all: bool) -> usize {
        let (count, out) = {
            let mut state = self.lock();
            (state.cancel(names, all), state.take_outgoing())
        };
        deliver_blocking(out);
        count
    }

    /// The cell of a held task, for a new handle on it.
    pub fn cell(&self, name: &str) -> Option<(Arc<Cells>, usize)> {
        self.lock().cell(name)
    }

    /// The names of the held tasks, oldest first.
    pub fn names(&self) -> Vec<Arc<str>> {
        self.lock().names()
    }

    /// Whether a task of this name is held.
    pub fn holds(&self, name: &str) -> bool {
        self.lock().holds(name)
    }

    /// How many tasks are held: pushed and not yet taken.
    pub fn size(&self) -> usize {
        self.lock().size()
    }

    /// Removes and returns the named resolved tasks.
    pub fn take(&self, names: &[String]) -> Vec<Taken> {
        self.lock().take(names)
    }

    /// Removes and returns up to `max` resolved tasks, oldest first.
    pub fn take_resolved(&self, max: usize) -> Vec<Taken> {
        self.lock().take_resolved(max)
    }

    /// A credential token good for `uses` workers.
    pub fn issue_credential(&self, uses: u64) -> String {
        self.lock().issue_credential(uses)
    }

    /// A credential token good for `uses` workers that connect within
    /// `window` (a launch's time to start); later ones are refused.
    pub fn issue_credential_within(&self, uses: u64, window: Option<Duration>) -> String {
        self.lock().issue_credential_within(uses, window)
    }

    /// How many workers of the launch credential `token` never connected
    /// (0 for a spent, unknown or malformed one): their launch may still
    /// be queued on a cluster, for the launcher to cancel.
    pub fn unspent(&self, token: &str) -> u64 {
        match Credential::parse(token) {
            Some(credential) => self.lock().unspent(&credential.id),
            None => 0,
        }
    }

    /// The next RNG stream of this dispatcher.
    pub fn next_stream(&self) -> [i32; 7] {
        self.lock().next_stream()
    }

    /// Stops accepting, tells every worker to leave, and frees the port
    /// before returning (unless other dispatchers still share it).
    pub fn terminate(&self) {
        let links = self.lock().close();
        let _ = self.shutdown.send(true);
        if let Ok(rt) = runtime() {
            let _held = crate::os::hold_broken_pipe_signal();
            rt.block_on(async {
                let closing = links
                    .iter()
                    .map(|link| link.close(Some(&crate::protocol::Message::Shutdown)));
                let _ =
                    tokio::time::timeout(Duration::from_secs(2), futures_join_all(closing)).await;
            });
        }
        self.listener.leave(self.member, true);
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        let links = self.lock().close();
        let _ = self.shutdown.send(true);
        if let Ok(rt) = runtime() {
            for link in links {
                rt.spawn(
                    async move { link.close(Some(&crate::protocol::Message::Shutdown)).await },
                );
            }
        }
        self.listener.leave(self.member, false);
    }
}

/// Awaits every future (sequentially: each only flushes a few bytes).
async fn futures_join_all<F: std::future::Future<Output = ()>>(futures: impl Iterator<Item = F>) {
    for future in futures {
        future.await;
    }
}
