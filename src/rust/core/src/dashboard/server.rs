//! The dashboard's HTTP server on the shared runtime: it binds, accepts
//! within its limits, and hands each connection to [`super::routes`]. It
//! costs nothing while no page is open: only the accept loop waits then.
//! Every peer is bounded (connections, head size, head time, write time),
//! so a slow or hostile one holds at most one connection slot for a while
//! and never touches the dispatchers beyond reading their counts.

use super::routes::serve;
use super::{snapshot, token};
use crate::dispatcher::bind_address;
use crate::runtime::runtime;
use crate::Result;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

/// Connections served at once; more are closed at accept.
pub const CONNECTIONS_MAX: usize = 64;

/// How long a peer may take to send its request's head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one write may wait for a peer that does not read.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a dashboard listens and what it shows.
#[derive(Debug, Clone)]
pub struct Settings {
    pub host: String,
    /// 0 for any free port.
    pub port: u16,
    /// (controller name, compute profile) of each controller shown.
    pub controllers: Vec<(String, String)>,
}

/// What every connection of one dashboard reads.
pub(super) struct Shared {
    pub(super) token: String,
    controllers: Vec<(String, String)>,
}

impl Shared {
    /// A snapshot of the controllers shown, as JSON.
    pub(super) fn snapshot(&self) -> String {
        let views: Vec<snapshot::View> = self
            .controllers
            .iter()
            .map(|(name, profile)| snapshot::view(name, profile))
            .collect();
        snapshot::write(snapshot::now(), &views)
    }

    /// A number that changes whenever a shown dispatcher resolves tasks.
    pub(super) fn generation(&self) -> u64 {
        snapshot::generation(self.controllers.iter().map(|(_, p)| p.as_str()))
    }
}

/// A running dashboard.
pub struct Dashboard {
    url: String,
    token: String,
    port: u16,
    shutdown: watch::Sender<bool>,
    accept: Mutex<Option<JoinHandle<()>>>,
}

/// The address a browser on this machine dials for a server bound to
/// `host`: loopback for the addresses that mean "every interface".
fn dial_host(host: &str) -> &str {
    match host.trim_start_matches('[').trim_end_matches(']') {
        "0.0.0.0" | "" => "127.0.0.1",
        "::" => "::1",
        _ => host,
    }
}

impl Dashboard {
    /// Binds (synchronously, so that errors and the port are known at
    /// once) and starts serving.
    pub fn start(settings: Settings) -> Result<Dashboard> {
        let rt = runtime()?;
        let address = bind_address(&settings.host, settings.port);
        let socket = rt.block_on(crate::net::listen(&address, 128))?;
        let port = socket.local_addr()?.port();
        let token = token::new();
        let url = format!(
            "http://{}/?token={token}",
            bind_address(dial_host(&settings.host), port)
        );
        let (shutdown, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            token: token.clone(),
            controllers: settings.controllers,
        });
        let accept = rt.spawn(accept_loop(socket, shared, shutdown_rx));
        Ok(Dashboard {
            url,
            token,
            port,
            shutdown,
            accept: Mutex::new(Some(accept)),
        })
    }

    /// The page's address, token included.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Closes the listening socket and every connection; returns once the
    /// port is free.
    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
        let handle = self.accept.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let (Some(handle), Ok(rt)) = (handle, runtime()) {
            rt.block_on(async {
                let _ = tokio::time::timeout(Duration::from_secs(5), handle).await;
            });
        }
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Returns once `shutdown` is true or its sender is gone.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    while !*shutdown.borrow_and_update() {
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

async fn accept_loop(
    socket: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(CONNECTIONS_MAX));
    loop {
        let accepted = tokio::select! {
            accepted = socket.accept() => accepted,
            _ = stopped(&mut shutdown) => return,
        };
        let Ok((stream, _)) = accepted else {
            // Out of descriptors or similar: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            continue;
        };
        let shared = shared.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = serve(stream, &shared) => {}
                _ = stopped(&mut shutdown) => {}
            }
            drop(slot);
        });
    }
}

/// Writes `bytes` within the write timeout; false if the peer is gone or
/// too slow.
pub(super) async fn send<W: AsyncWrite + Unpin>(writer: &mut W, bytes: &[u8]) -> bool {
    matches!(
        tokio::time::timeout(WRITE_TIMEOUT, writer.write_all(bytes)).await,
        Ok(Ok(()))
    )
}

#[cfg(test)]
mod tests {
    use super::super::http::HEAD_BYTES_MAX;
    use super::super::json::read::{parse, Value};
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream as StdStream;
    use std::time::Instant;

    fn dashboard(controllers: &[(&str, &str)]) -> Dashboard {
        Dashboard::start(Settings {
            host: "127.0.0.1".to_string(),
            port: 0,
            controllers: controllers
                .iter()
                .map(|(n, p)| (n.to_string(), p.to_string()))
                .collect(),
        })
        .unwrap()
    }

    fn connect(port: u16) -> StdStream {
        let stream = StdStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream
    }

    /// The status and body of `request` sent whole.
    fn exchange(port: u16, request: &str) -> (u16, String) {
        let mut stream = connect(port);
        stream.write_all(request.as_bytes()).unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        let status = text
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {text:?}"));
        let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, body.to_string())
    }

    fn get(port: u16, target: &str) -> (u16, String) {
        exchange(port, &format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n"))
    }

    #[test]
    fn requests_without_the_token_are_forbidden() {
        let d = dashboard(&[("c", "crew-dashboard-test-none")]);
        let token = d.token().to_string();
        assert_eq!(get(d.port(), "/").0, 403);
        assert_eq!(get(d.port(), "/snapshot.json").0, 403);
        assert_eq!(get(d.port(), "/events").0, 403);
        assert_eq!(get(d.port(), "/nothing").0, 403);
        assert_eq!(get(d.port(), "/?token=").0, 403);
        let mut wrong = token.clone().into_bytes();
        wrong[0] = if wrong[0] == b'a' { b'b' } else { b'a' };
        let wrong = String::from_utf8(wrong).unwrap();
        assert_eq!(get(d.port(), &format!("/?token={wrong}")).0, 403);
        assert_eq!(get(d.port(), &format!("/?token={token}x")).0, 403);
        assert_eq!(get(d.port(), &format!("/nothing?token={token}")).0, 404);
        let (status, page) = get(d.port(), &format!("/?token={token}"));
        assert_eq!(status, 200);
        assert!(page.contains("EventSource") && page.contains("<canvas"));
        assert!(d.url().ends_with(&format!("/?token={token}")));
        let post = format!("POST /?token={token} HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(exchange(d.port(), &post).0, 405);
        assert_eq!(exchange(d.port(), "nonsense\r\n\r\n").0, 400);
        d.stop();
    }

    #[test]
    fn a_snapshot_is_json_with_every_controller() {
        let d = dashboard(&[
            ("first", "crew-dashboard-test-a"),
            ("second", "crew-dashboard-test-b"),
        ]);
        let (status, body) = get(d.port(), &format!("/snapshot.json?token={}", d.token()));
        assert_eq!(status, 200);
        let value = parse(&body).unwrap();
        let controllers = value.get("controllers").items();
        assert_eq!(controllers.len(), 2);
        assert_eq!(controllers[1].get("name").text(), "second");
        assert_eq!(controllers[0].get("running"), &Value::Bool(false));
        assert!(value.get("time").number() > 1.6e9);
        d.stop();
    }

    #[test]
    fn a_page_gets_a_snapshot_at_once_and_then_every_second() {
        let d = dashboard(&[("c", "crew-dashboard-test-events")]);
        let mut stream = connect(d.port());
        write!(stream, "GET /events?token={} HTTP/1.1\r\n\r\n", d.token()).unwrap();
        let started = Instant::now();
        let mut reader = BufReader::new(stream);
        let mut events = Vec::new();
        let mut line = String::new();
        while events.len() < 3 {
            line.clear();
            assert!(reader.read_line(&mut line).unwrap() > 0);
            if let Some(data) = line.strip_prefix("data: ") {
                parse(data.trim_end()).unwrap();
                events.push(started.elapsed());
            }
        }
        assert!(events[0] < Duration::from_millis(500), "{events:?}");
        assert!(events[2] > Duration::from_millis(1500), "{events:?}");
        assert!(events[2] < Duration::from_secs(4), "{events:?}");
        d.stop();
        // The stream ends with the dashboard.
        let mut rest = Vec::new();
        let _ = reader.read_to_end(&mut rest);
    }

    #[test]
    fn slow_and_oversized_peers_do_not_hold_up_others() {
        let d = dashboard(&[("c", "crew-dashboard-test-slow")]);
        // Peers that send half a head and wait.
        let slow: Vec<StdStream> = (0..20)
            .map(|_| {
                let mut s = connect(d.port());
                s.write_all(b"GET /?token=").unwrap();
                s
            })
            .collect();
        let started = Instant::now();
        let (status, _) = get(d.port(), &format!("/snapshot.json?token={}", d.token()));
        assert_eq!(status, 200);
        assert!(started.elapsed() < Duration::from_secs(2));
        let huge = format!(
            "GET / HTTP/1.1\r\nX: {}\r\n\r\n",
            "a".repeat(HEAD_BYTES_MAX)
        );
        assert_eq!(exchange(d.port(), &huge).0, 431);
        drop(slow);
        d.stop();
    }

    #[test]
    fn more_connections_than_the_cap_are_closed_at_once() {
        let d = dashboard(&[("c", "crew-dashboard-test-cap")]);
        let held: Vec<StdStream> = (0..CONNECTIONS_MAX).map(|_| connect(d.port())).collect();
        // Let the accept loop take every one of them.
        std::thread::sleep(Duration::from_millis(300));
        let mut extra = connect(d.port());
        let mut buf = [0u8; 16];
        assert!(matches!(extra.read(&mut buf), Ok(0) | Err(_)));
        drop(held);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let mut s = connect(d.port());
            let request = format!("GET /snapshot.json?token={} HTTP/1.1\r\n\r\n", d.token());
            if s.write_all(request.as_bytes()).is_ok() {
                let mut text = String::new();
                if s.read_to_string(&mut text).is_ok() && text.starts_with("HTTP/1.1 200") {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "slots were not given back");
            std::thread::sleep(Duration::from_millis(50));
        }
        d.stop();
    }

    #[test]
    fn stopping_frees_the_port() {
        let d = dashboard(&[]);
        let port = d.port();
        d.stop();
        assert!(StdStream::connect(("127.0.0.1", port)).is_err());
        let again = Dashboard::start(Settings {
            host: "127.0.0.1".to_string(),
            port,
            controllers: Vec::new(),
        })
        .unwrap();
        assert_eq!(again.port(), port);
        again.stop();
    }

    #[test]
    fn an_unspecified_host_is_dialled_on_loopback() {
        assert_eq!(dial_host("0.0.0.0"), "127.0.0.1");
        assert_eq!(dial_host("::"), "::1");
        assert_eq!(dial_host("localhost"), "localhost");
    }
}
