//! Listening sockets, shared by the dispatchers of this process that listen
//! on the same host and port. A worker's credential names its launch, and
//! a launch belongs to one dispatcher, so one socket serves them all: the
//! handshake finds the dispatcher that issued the credential and hands the
//! connection to it. Each dispatcher keeps its own state, timings and
//! shutdown; the socket closes when the last of them leaves. Port 0 always
//! binds a socket of its own.

use super::member::{Member, Members};
use super::state::State;
use super::{bind_address, session, Config, MAX_HANDSHAKES};
use crate::runtime::runtime;
use crate::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

fn lock<T>(x: &Mutex<T>) -> MutexGuard<'_, T> {
    x.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) struct Listener {
    host: String,
    port: u16,
    /// What must match for a dispatcher to share this socket (its TLS
    /// mode, certificates and worker authority, as the caller describes
    /// them).
    tls_settings: String,
    tls: bool,
    certificate: Option<String>,
    members: Members,
    next_member: Mutex<u64>,
    shutdown: watch::Sender<bool>,
    accept: Mutex<Option<JoinHandle<()>>>,
}

/// Listeners with a fixed port, by host and port.
type Shared = HashMap<(String, u16), Weak<Listener>>;

fn shared() -> MutexGuard<'static, Shared> {
    static SHARED: OnceLock<Mutex<Shared>> = OnceLock::new();
    lock(SHARED.get_or_init(|| Mutex::new(HashMap::new())))
}

impl Listener {
    /// Adds a dispatcher to the listener of `config`'s host and port: the
    /// one already serving other dispatchers there (which must have the
    /// same TLS settings), or a new one. Returns the listener and the
    /// member's id.
    pub fn join(
        config: Config,
        state: Arc<Mutex<State>>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(Arc<Listener>, u64)> {
        let key = (config.host.clone(), config.port);
        let mut table = shared();
        let existing = (config.port != 0)
            .then(|| table.get(&key).and_then(Weak::upgrade))
            .flatten();
        let listener = match existing {
            Some(listener) if listener.tls_settings != config.tls_settings => {
                return Err(Error::PortShared {
                    port: config.port,
                    reason:
                        "another controller of this R session listens there with other TLS settings"
                            .into(),
                });
            }
            Some(listener) => listener,
            None => {
                let listener = Listener::bind(&config)?;
                if config.port != 0 {
                    table.insert(key, Arc::downgrade(&listener));
                }
                listener
            }
        };
        let id = {
            let mut next = lock(&listener.next_member);
            *next += 1;
            *next
        };
        lock(&listener.members).push(Member {
            id,
            state,
            timing: config.timing,
            shutdown,
        });
        Ok((listener, id))
    }

    fn bind(config: &Config) -> Result<Arc<Listener>> {
        let rt = runtime()?;
        let address = bind_address(&config.host, config.port);
        let socket = rt.block_on(crate::net::listen(&address, BACKLOG))?;
        let port = socket.local_addr()?.port();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let members: Members = Arc::new(Mutex::new(Vec::new()));
        let accept = rt.spawn(accept_loop(
            socket,
            members.clone(),
            config.timing.handshake_timeout,
            config.tls.clone().map(crate::tls::TlsAcceptor::from),
            shutdown_rx,
        ));
        Ok(Arc::new(Listener {
            host: config.host.clone(),
            port,
            tls_settings: config.tls_settings.clone(),
            tls: config.tls.is_some(),
            certificate: config.certificate.clone(),
            members,
            next_member: Mutex::new(0),
            shutdown,
            accept: Mutex::new(Some(accept)),
        }))
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn tls(&self) -> bool {
        self.tls
    }

    /// The certificate workers trust, the one of the dispatcher that opened
    /// the socket.
    pub fn certificate(&self) -> Option<&str> {
        self.certificate.as_deref()
    }

    /// Removes member `id`. The last member to leave closes the socket;
    /// with `wait`, the port is free when this returns.
    pub fn leave(&self, id: u64, wait: bool) {
        // The table's lock first, as in join(), so that no dispatcher joins
        // a socket that is closing.
        let mut table = shared();
        let empty = {
            let mut members = lock(&self.members);
            members.retain(|m| m.id != id);
            members.is_empty()
        };
        if !empty {
            return;
        }
        let key = (self.host.clone(), self.port);
        if table
            .get(&key)
            .is_some_and(|w| std::ptr::eq(w.as_ptr(), self))
        {
            table.remove(&key);
        }
        drop(table);
        let _ = self.shutdown.send(true);
        let handle = lock(&self.accept).take();
        if let (true, Some(handle), Ok(rt)) = (wait, handle, runtime()) {
            rt.block_on(async {
                let _ = tokio::time::timeout(Duration::from_secs(5), handle).await;
            });
        }
    }
}

/// Connections the kernel queues for the accept loop: room for a thousand
/// workers that start at once (the default of 1024 overflowed then, and a
/// worker whose handshake the kernel dropped waited up to half a minute
/// for the SYN-ACK to be sent again).
const BACKLOG: u32 = 4096;

async fn accept_loop(
    socket: TcpListener,
    members: Members,
    handshake_timeout: Duration,
    tls: Option<crate::tls::TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let accepted = tokio::select! {
            accepted = socket.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let Ok((stream, _)) = accepted else {
            // Out of descriptors or similar: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let Ok(permit) = handshakes.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let members = members.clone();
        let deadline = tokio::time::Instant::now() + handshake_timeout;
        let Some(acceptor) = tls.clone() else {
            tokio::spawn(session::serve(stream, members, deadline, permit));
            continue;
        };
        // The TLS handshake counts against the same deadline and the same
        // cap on concurrent handshakes as the credential check after it.
        tokio::spawn(async move {
            let Ok(Ok(stream)) = tokio::time::timeout_at(deadline, acceptor.accept(stream)).await
            else {
                return;
            };
            session::serve(stream, members, deadline, permit).await;
        });
    }
}
