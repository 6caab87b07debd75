//! Dispatch cost against the number of connected workers, with no R: one
//! dispatcher and P test peers (worker sessions whose loop echoes each
//! task back), moving N tasks queued as one batch, as walk() queues them.
//! The peers run in a child process of their own, as workers do, so the
//! dispatcher's runtime serves only its side of the connections, and the
//! CPU this process spent per task is the dispatcher's own cost (both
//! processes share the machine's cores, so the rate also pays for the
//! peers). Prints one `peers=P tasks=N tasks_per_second=X
//! dispatcher_us_per_task=Y` line per run, the peer counts taken in turn
//! `--rounds` times.
//!
//!   cargo run --release --example peers -- --peers 8,100,1000 --tasks 200000 --rounds 3

use crew_core::dispatcher::{Config, Dispatcher, Items, Timing};
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

/// Tasks `t_1`, `t_2`, ... each carrying its index.
struct Numbered(usize);

impl Items for Numbered {
    fn len(&self) -> usize {
        self.0
    }
    fn name(&self, index: usize) -> String {
        format!("t_{}", index + 1)
    }
    fn find(&self, name: &str) -> Option<usize> {
        let i: usize = name.strip_prefix("t_")?.parse().ok()?;
        (1..=self.0).contains(&i).then(|| i - 1)
    }
    fn payload(&self, index: usize) -> Vec<u8> {
        (index as u64).to_le_bytes().to_vec()
    }
}

fn peer(url: &str, token: &str) -> std::thread::JoinHandle<ExitReason> {
    let config = WorkerConfig {
        address: address_from_url(url).expect("url"),
        credential: Credential::parse(token).expect("credential"),
        connect_timeout: Duration::from_secs(30),
        idle: None,
        wall: None,
        max_tasks: None,
        timers_after: 0,
        heartbeat_interval: Duration::from_secs(5),
        heartbeat_timeout: Duration::from_secs(60),
        exit_signal: None,
        interrupt: None,
        tls: None,
    };
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let client = WorkerClient::start(config).expect("worker");
            loop {
                match client.next_event(Duration::from_secs(120), || {}) {
                    Some(Event::Task { id, payload, .. }) => {
                        client.send_result(id, meta(), payload.into_vec().unwrap_or_default());
                    }
                    Some(Event::Ready { .. }) => {}
                    Some(Event::Exit(reason)) => return reason,
                    None => return ExitReason::Lost,
                }
            }
        })
        .expect("thread")
}

/// CPU seconds this process has used, user and system.
fn cpu_seconds() -> f64 {
    crew_core::os::process_cpu_seconds()
}

/// Tasks per second and the dispatcher's CPU microseconds per task.
fn run(peers: usize, tasks: usize) -> (f64, f64) {
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
    let token = d.issue_credential(peers as u64);
    let mut child = std::process::Command::new(std::env::current_exe().expect("exe"))
        .args(["--serve", &d.url(), &token, &peers.to_string()])
        .spawn()
        .expect("peers process");
    let waiting = Instant::now();
    while (d.status().connections as usize) < peers {
        if waiting.elapsed() > Duration::from_secs(60) {
            let status = d.status();
            let _ = child.kill();
            panic!(
                "after 60 s only {} of {peers} peers were connected ({} joined in all)",
                status.connections, status.cumulative
            );
        }
        if let Some(status) = child.try_wait().expect("peers process") {
            panic!("the peers process ended before all {peers} connected: {status}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    d.push_batch(vec![0u8; 64], Box::new(Numbered(tasks)), None, false)
        .expect("push");
    // As wait(mode = "all") does: woken once, when the last task resolves.
    while !d.wait_for(false, Duration::from_secs(10)) {
        eprintln!("still waiting for the tasks: {:?}", d.status());
    }
    let taken = d.take_resolved(usize::MAX).len();
    let rate = tasks as f64 / start.elapsed().as_secs_f64();
    let cpu_per_task = (cpu_seconds() - cpu_start) * 1e6 / tasks as f64;
    assert_eq!(taken, tasks);
    d.terminate();
    let _ = child.wait();
    (rate, cpu_per_task)
}

/// The child: `peers` test peers of the dispatcher at `url`, on one
/// runtime thread as a worker process has.
fn serve(url: &str, token: &str, peers: usize) {
    crew_core::runtime::prefer_threads(1);
    let threads: Vec<_> = (0..peers).map(|_| peer(url, token)).collect();
    let mut reasons = std::collections::BTreeMap::new();
    for thread in threads {
        let reason = thread
            .join()
            .map_or("panicked".to_string(), |r| format!("{r:?}"));
        *reasons.entry(reason).or_insert(0) += 1;
    }
    if reasons.keys().any(|r| r != "Normal") {
        eprintln!("how the peers ended: {reasons:?}");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve") {
        let peers = args[4].parse().expect("peers");
        return serve(&args[2], &args[3], peers);
    }
    let value = |flag: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
            .unwrap_or_else(|| default.to_string())
    };
    let tasks: usize = value("--tasks", "200000").parse().expect("--tasks");
    let rounds: usize = value("--rounds", "1").parse().expect("--rounds");
    for _ in 0..rounds {
        for peers in value("--peers", "8,100,1000").split(',') {
            let peers: usize = peers.parse().expect("--peers");
            let (rate, cpu) = run(peers, tasks);
            println!(
                "peers={peers} tasks={tasks} tasks_per_second={rate:.0} dispatcher_us_per_task={cpu:.2}"
            );
        }
    }
}
