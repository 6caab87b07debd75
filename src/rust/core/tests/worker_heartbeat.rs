//! A worker keeps the heartbeat its dispatcher announces in the welcome,
//! not its own defaults, and its pulses carry its resource use.

mod common;

use crew_core::protocol::{read_frame, ExitReason, Limits, Message};
use crew_core::worker::{Event, WorkerClient};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[test]
fn a_worker_keeps_the_dispatchers_heartbeat_interval_and_timeout() {
    // The worker's own settings say 200 ms and 2 s; the dispatcher says
    // 50 ms and 400 ms, and then goes silent.
    let heartbeats = Arc::new(Mutex::new(0usize));
    let counted = heartbeats.clone();
    let config = common::fake_dispatcher((50, 400), move |socket| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let std = socket.try_clone().unwrap();
        std.set_nonblocking(true).unwrap();
        runtime.block_on(async move {
            let mut stream = tokio::net::TcpStream::from_std(std).unwrap();
            let listen = async {
                while let Ok(Some(frame)) = read_frame(&mut stream, Limits::AUTHENTICATED).await {
                    if let Message::Pulse { resident_bytes, .. } = frame.message {
                        // sysinfo reads the worker's own memory on every
                        // platform the tests run on.
                        assert!(resident_bytes > 0);
                        *counted.lock().unwrap() += 1;
                    }
                }
            };
            let _ = tokio::time::timeout(Duration::from_secs(5), listen).await;
        });
    });
    assert_eq!(config.heartbeat_timeout, Duration::from_secs(2));
    let client = WorkerClient::start(config).unwrap();
    let started = Instant::now();
    let reason = loop {
        match client.next_event(Duration::from_secs(10), || {}) {
            Some(Event::Ready { .. }) => {}
            Some(Event::Exit(reason)) => break reason,
            other => panic!("unexpected event {other:?}"),
        }
    };
    let lasted = started.elapsed();
    assert_eq!(reason, ExitReason::Lost);
    // Silence is noticed after the dispatcher's 400 ms, not the worker's 2 s.
    assert!(
        lasted < Duration::from_millis(1500),
        "the worker waited {lasted:?}"
    );
    // Pulses went out every 50 ms, not every 200 ms.
    assert!(
        *heartbeats.lock().unwrap() >= 4,
        "{} pulses",
        heartbeats.lock().unwrap()
    );
}
