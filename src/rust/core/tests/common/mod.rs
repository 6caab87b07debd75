//! What the loopback tests share: fast protocol timings, a dispatcher and
//! worker settings on 127.0.0.1, and worker threads that stand in for R.

#![allow(dead_code)]

use crew_core::dispatcher::{Config, Dispatcher, Timing};
use crew_core::protocol::{Credential, ExitReason, ResultMeta};
use crew_core::tls::WorkerTls;
use crew_core::worker::{address_from_url, Event, WorkerClient, WorkerConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn timing() -> Timing {
    Timing {
        heartbeat_interval: Duration::from_millis(200),
        heartbeat_timeout: Duration::from_secs(2),
        handshake_timeout: Duration::from_millis(500),
    }
}

/// A dispatcher on 127.0.0.1, over TLS when `tls` is given.
pub fn dispatcher_with(
    tls: Option<Arc<rustls::ServerConfig>>,
    certificate: Option<String>,
) -> Dispatcher {
    Dispatcher::start(Config {
        host: "127.0.0.1".into(),
        port: 0,
        timing: timing(),
        tls,
        certificate,
        welcome: Vec::new(),
        tls_settings: String::new(),
    })
    .unwrap()
}

pub fn dispatcher() -> Dispatcher {
    dispatcher_with(None, None)
}

/// A plain dispatcher on 127.0.0.1:`port`, sharing that port with others
/// of the same `tls_settings`.
pub fn dispatcher_on(port: u16, tls_settings: &str) -> crew_core::Result<Dispatcher> {
    Dispatcher::start(Config {
        host: "127.0.0.1".into(),
        port,
        timing: timing(),
        tls: None,
        certificate: None,
        welcome: Vec::new(),
        tls_settings: tls_settings.into(),
    })
}

pub fn worker_config_with(d: &Dispatcher, token: &str, tls: Option<WorkerTls>) -> WorkerConfig {
    WorkerConfig {
        credential: Credential::parse(token).unwrap(),
        tls,
        ..worker_config_for_address(&d.url())
    }
}

/// Worker settings for a dispatcher at `url`, with a credential of its own.
pub fn worker_config_for_address(url: &str) -> WorkerConfig {
    WorkerConfig {
        address: address_from_url(url).unwrap(),
        credential: Credential::generate(),
        connect_timeout: Duration::from_secs(5),
        idle: None,
        wall: None,
        max_tasks: None,
        timers_after: 0,
        heartbeat_interval: Duration::from_millis(200),
        heartbeat_timeout: Duration::from_secs(2),
        exit_signal: None,
        interrupt: None,
        tls: None,
    }
}

pub fn worker_config(d: &Dispatcher, token: &str) -> WorkerConfig {
    worker_config_with(d, token, None)
}

pub fn meta(code: i32) -> ResultMeta {
    ResultMeta {
        status: "success".into(),
        code,
        command: None,
        extras: None,
        seconds: Some(0.0),
        controller: None,
    }
}

/// A worker thread that answers every task with its payload reversed.
pub fn spawn_echo_worker(config: WorkerConfig) -> std::thread::JoinHandle<ExitReason> {
    std::thread::spawn(move || {
        let client = WorkerClient::start(config).unwrap();
        loop {
            match client.next_event(Duration::from_secs(10), || {}) {
                Some(Event::Ready { .. }) => {}
                Some(Event::Task { id, payload, .. }) => {
                    let mut payload = payload.into_vec().unwrap();
                    payload.reverse();
                    assert!(client.send_result(id, meta(0), payload));
                }
                Some(Event::Exit(reason)) => return reason,
                None => return ExitReason::Lost,
            }
        }
    })
}

pub fn wait_for(what: impl Fn() -> bool) {
    let start = Instant::now();
    while !what() {
        assert!(start.elapsed() < Duration::from_secs(10), "timed out");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A worker thread that sleeps for as many milliseconds as the first four
/// payload bytes say (little-endian) before it answers with the payload.
pub fn spawn_sleepy_worker(config: WorkerConfig) -> std::thread::JoinHandle<ExitReason> {
    std::thread::spawn(move || {
        let client = WorkerClient::start(config).unwrap();
        loop {
            match client.next_event(Duration::from_secs(10), || {}) {
                Some(Event::Ready { .. }) => {}
                Some(Event::Task { id, payload, .. }) => {
                    let payload = payload.into_vec().unwrap();
                    let millis = payload
                        .get(..4)
                        .map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap()));
                    std::thread::sleep(Duration::from_millis(millis as u64));
                    client.send_result(id, meta(0), payload);
                }
                Some(Event::Exit(reason)) => return reason,
                None => return ExitReason::Lost,
            }
        }
    })
}

/// A dispatcher of the test's own on 127.0.0.1: it challenges the worker,
/// takes any Hello, welcomes it with `heartbeat` (interval and timeout in
/// milliseconds), then hands the socket to `then`. Returns the settings of
/// a worker that dials it.
pub fn fake_dispatcher(
    heartbeat: (u64, u64),
    then: impl FnOnce(&mut std::net::TcpStream) + Send + 'static,
) -> WorkerConfig {
    use crew_core::protocol::frame::encode_prefix;
    use crew_core::protocol::{read_frame, Limits, Message};
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("tcp://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let write = |socket: &mut std::net::TcpStream, message: &Message| {
            socket
                .write_all(&encode_prefix(message, 0).unwrap())
                .unwrap();
        };
        write(&mut socket, &Message::Challenge { nonce: [7; 32] });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let hello = runtime.block_on(async {
            let std = socket.try_clone().unwrap();
            std.set_nonblocking(true).unwrap();
            let mut stream = tokio::net::TcpStream::from_std(std).unwrap();
            read_frame(&mut stream, Limits::HANDSHAKE).await
        });
        assert!(matches!(
            hello,
            Ok(Some(frame)) if matches!(frame.message, Message::Hello { .. })
        ));
        socket.set_nonblocking(false).unwrap();
        write(
            &mut socket,
            &Message::Welcome {
                worker: 1,
                stream: [0; 7],
                heartbeat_interval_ms: heartbeat.0,
                heartbeat_timeout_ms: heartbeat.1,
            },
        );
        then(&mut socket);
    });
    worker_config_for_address(&url)
}
