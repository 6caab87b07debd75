//! A dashboard over a real dispatcher with a worker: what it shows while
//! the dispatcher runs and after it stops, and how soon a page hears of
//! resolved tasks.

mod common;

use common::{spawn_sleepy_worker, timing, wait_for, worker_config};
use crew_core::dashboard::{self, Settings};
use crew_core::dispatcher::Config;
use crew_core::registry;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn snapshot(port: u16, token: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET /snapshot.json?token={token} HTTP/1.1\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    text.split_once("\r\n\r\n").unwrap().1.to_string()
}

#[test]
fn a_dashboard_follows_a_dispatcher_through_its_life() {
    let profile = "crew-dashboard-integration";
    let board = dashboard::start(Settings {
        host: "127.0.0.1".into(),
        port: 0,
        controllers: vec![("main".into(), profile.into())],
    })
    .unwrap();
    let (port, token) = (board.port(), board.token().to_string());
    // Started before its controller: shown as not running.
    let before = snapshot(port, &token);
    assert!(
        before.contains(r#""name":"main","running":false"#),
        "{before}"
    );

    let d = registry::start(
        profile,
        Config {
            host: "127.0.0.1".into(),
            port: 0,
            timing: timing(),
            tls: None,
            certificate: None,
            welcome: Vec::new(),
            tls_settings: String::new(),
        },
    )
    .unwrap();
    let credential = d.issue_credential(1);
    let worker = spawn_sleepy_worker(worker_config(&d, &credential));
    wait_for(|| d.status().connections == 1);
    for i in 0..5u32 {
        d.push(
            Some(&format!("quick {i}")),
            0u32.to_le_bytes().to_vec(),
            None,
            None,
        )
        .unwrap();
    }
    wait_for(|| d.status().completed == 5);
    let during = snapshot(port, &token);
    assert!(during.contains(r#""running":true"#), "{during}");
    assert!(during.contains(r#""done":5"#), "{during}");
    assert!(during.contains(r#""tasks_done":5"#), "{during}");
    assert!(during.contains(r#""state":"idle""#), "{during}");

    // A page hears of a resolution sooner than its once-a-second update.
    let mut events = TcpStream::connect(("127.0.0.1", port)).unwrap();
    events
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(events, "GET /events?token={token} HTTP/1.1\r\n\r\n").unwrap();
    let mut reader = BufReader::new(events);
    let mut next_event = || {
        let mut line = String::new();
        loop {
            line.clear();
            assert!(reader.read_line(&mut line).unwrap() > 0);
            if let Some(data) = line.strip_prefix("data: ") {
                return data.to_string();
            }
        }
    };
    next_event();
    let pushed = Instant::now();
    d.push(Some("heard"), 0u32.to_le_bytes().to_vec(), None, None)
        .unwrap();
    let heard = loop {
        let data = next_event();
        if data.contains(r#""done":6"#) {
            break pushed.elapsed();
        }
    };
    assert!(heard < Duration::from_millis(900), "{heard:?}");

    // After its controller stops, its last workers are still shown.
    registry::stop(profile);
    let after = snapshot(port, &token);
    assert!(after.contains(r#""running":false"#), "{after}");
    assert!(after.contains(r#""state":"exited""#), "{after}");
    assert!(after.contains(r#""tasks_done":6"#), "{after}");
    worker.join().unwrap();
    assert!(dashboard::stop(board.url()));
}
