//! Floors for the benchmark in bench/: the core alone, with no R, on
//! loopback. Prints `key=value` lines: the median and 99th percentile of a
//! task round trip, task throughput with two workers, and MB/s for a large
//! payload in and out.

use crew_core::dispatcher::{Config, Dispatcher, Timing};
use crew_core::protocol::{Credential, ExitReason, ResultMeta};
use crew_core::worker::{address_from_url, Event, WorkerClient, WorkerConfig};
use std::time::{Duration, Instant};

fn meta() -> ResultMeta {
    ResultMeta {
        status: "success".into(),
        code: 0,
        command: None,
        extras: None,
        seconds: Some(0.0),
        controller: None,
    }
}

fn echo_worker(d: &Dispatcher, token: &str) -> std::thread::JoinHandle<ExitReason> {
    let config = WorkerConfig {
        address: address_from_url(&d.url()).expect("url"),
        credential: Credential::parse(token).expect("credential"),
        connect_timeout: Duration::from_secs(5),
        idle: None,
        wall: None,
        max_tasks: None,
        timers_after: 0,
        heartbeat_interval: Duration::from_secs(1),
        heartbeat_timeout: Duration::from_secs(10),
        exit_signal: None,
        interrupt: None,
        tls: None,
    };
    std::thread::spawn(move || {
        let client = WorkerClient::start(config).expect("worker");
        loop {
            match client.next_event(Duration::from_secs(60), || {}) {
                Some(Event::Task { id, payload, .. }) => {
                    client.send_result(id, meta(), payload.into_vec().unwrap_or_default());
                }
                Some(Event::Ready { .. }) => {}
                Some(Event::Exit(reason)) => return reason,
                None => return ExitReason::Lost,
            }
        }
    })
}

fn wait_completed(d: &Dispatcher, n: u64) {
    let signal = d.signal();
    while d.status().completed < n {
        signal.wait(Duration::from_millis(50));
    }
}

fn main() {
    let d = Dispatcher::start(Config {
        host: "127.0.0.1".into(),
        port: 0,
        timing: Timing::default(),
        tls: None,
        certificate: None,
        welcome: Vec::new(),
        tls_settings: String::new(),
    })
    .expect("dispatcher");
    let token = d.issue_credential(2);
    let workers = [echo_worker(&d, &token), echo_worker(&d, &token)];
    while d.status().connections < 2 {
        std::thread::sleep(Duration::from_millis(5));
    }

    let mut done = 0u64;
    let mut trips = Vec::with_capacity(1000);
    for i in 0..1000 {
        let start = Instant::now();
        d.push(Some(&format!("trip{i}")), vec![0u8; 64], None, None)
            .expect("push");
        done += 1;
        wait_completed(&d, done);
        d.take_resolved(1);
        trips.push(start.elapsed().as_secs_f64() * 1e6);
    }
    trips.sort_by(|a, b| a.total_cmp(b));
    println!("roundtrip_median_us={:.1}", trips[trips.len() / 2]);
    println!("roundtrip_p99_us={:.1}", trips[trips.len() * 99 / 100]);

    let n = 10_000u64;
    let start = Instant::now();
    for i in 0..n {
        d.push(Some(&format!("bulk{i}")), vec![0u8; 64], None, None)
            .expect("push");
    }
    wait_completed(&d, done + n);
    done += n;
    d.take_resolved(usize::MAX);
    println!(
        "tasks_per_second={:.0}",
        n as f64 / start.elapsed().as_secs_f64()
    );

    let size = 100_000_000usize;
    let start = Instant::now();
    d.push(Some("large"), vec![7u8; size], None, None)
        .expect("push");
    wait_completed(&d, done + 1);
    let taken = d.take_resolved(1);
    assert_eq!(taken[0].outcome.payload.len(), size);
    println!(
        "large_mb_per_second={:.0}",
        2.0 * size as f64 / 1e6 / start.elapsed().as_secs_f64()
    );

    d.terminate();
    for w in workers {
        let _ = w.join();
    }
}
