//! A full dispatcher on loopback with real worker sessions, strangers and
//! crashes. The "evaluation" is done by test threads, standing in for R.

mod common;

use common::{dispatcher, spawn_echo_worker, wait_for, worker_config};
use crew_core::dispatcher::{Dispatcher, CODE_CRASH};
use crew_core::protocol::{read_frame, write_frame, Credential, ExitReason, Limits, Message};
use crew_core::worker::{address_from_url, Event, WorkerClient};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[test]
fn tasks_round_trip_over_two_workers() {
    let d = dispatcher();
    let token = d.issue_credential(2);
    let workers: Vec<_> = (0..2)
        .map(|_| spawn_echo_worker(worker_config(&d, &token)))
        .collect();
    for i in 0..500u32 {
        d.push(Some(&format!("t{i}")), i.to_le_bytes().to_vec(), None, None)
            .unwrap();
    }
    wait_for(|| d.status().completed == 500);
    let taken = d.take_resolved(usize::MAX);
    assert_eq!(taken.len(), 500);
    for t in &taken {
        let i: u32 = t.name[1..].parse().unwrap();
        let mut expected = i.to_le_bytes().to_vec();
        expected.reverse();
        assert_eq!(t.outcome.payload.to_vec().unwrap(), expected);
    }
    let status = d.status();
    assert_eq!(
        (
            status.connections,
            status.cumulative,
            status.awaiting,
            status.executing
        ),
        (2, 2, 0, 0)
    );
    d.terminate();
    for w in workers {
        assert_eq!(w.join().unwrap(), ExitReason::Normal);
    }
}

#[test]
fn spent_or_wrong_credentials_get_no_task() {
    let d = dispatcher();
    let token = d.issue_credential(1);
    let good = spawn_echo_worker(worker_config(&d, &token));
    wait_for(|| d.status().connections == 1);
    // The same credential a second time is spent.
    let spent = WorkerClient::start(worker_config(&d, &token)).unwrap();
    assert!(matches!(
        spent.next_event(Duration::from_secs(5), || {}),
        Some(Event::Exit(ExitReason::Rejected))
    ));
    // A made-up credential is refused too.
    let forged = WorkerClient::start(worker_config(&d, &Credential::generate().token())).unwrap();
    assert!(matches!(
        forged.next_event(Duration::from_secs(5), || {}),
        Some(Event::Exit(ExitReason::Rejected))
    ));
    assert_eq!(d.status().cumulative, 1);
    d.terminate();
    good.join().unwrap();
}

#[test]
fn worker_dying_mid_task_gives_a_crash() {
    let d = dispatcher();
    let token = d.issue_credential(1);
    let address = address_from_url(&d.url()).unwrap();
    // A hand-rolled worker that authenticates, takes a task, and vanishes.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    d.push(Some("doomed"), b"x".to_vec(), None, None).unwrap();
    rt.block_on(async {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let challenge = read_frame(&mut stream, Limits::HANDSHAKE)
            .await
            .unwrap()
            .unwrap();
        let Message::Challenge { nonce } = challenge.message else {
            panic!()
        };
        let credential = Credential::parse(&token).unwrap();
        let hello = Message::Hello {
            credential: credential.id.clone(),
            proof: credential.prove(&nonce),
            pid: 31337,
            host: "loopback-test".to_string(),
        };
        write_frame(&mut stream, &hello, &[]).await.unwrap();
        loop {
            let frame = read_frame(&mut stream, Limits::AUTHENTICATED)
                .await
                .unwrap()
                .unwrap();
            if let Message::Task { .. } = frame.message {
                break;
            }
        }
    });
    wait_for(|| d.status().completed == 1);
    let taken = d.take_resolved(1);
    assert_eq!(taken[0].outcome.code, CODE_CRASH);
    assert_eq!(taken[0].outcome.worker_pid, Some(31337));
    assert_eq!(d.status().connections, 0);
    d.terminate();
}

#[test]
fn strangers_do_not_disturb_work_in_flight() {
    let d = dispatcher();
    let token = d.issue_credential(1);
    let worker = spawn_echo_worker(worker_config(&d, &token));
    let address = address_from_url(&d.url()).unwrap();
    let strangers: Vec<_> = (0..20)
        .map(|i| {
            let address = address.clone();
            std::thread::spawn(move || {
                let Ok(mut s) = TcpStream::connect(&address) else {
                    return;
                };
                let junk: Vec<u8> = match i % 4 {
                    0 => b"GET / HTTP/1.1\r\n\r\n".to_vec(),
                    1 => u64::MAX.to_le_bytes().to_vec(),
                    2 => vec![0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc],
                    _ => (0..5000u32).map(|x| (x * 7919) as u8).collect(),
                };
                let _ = s.write_all(&junk);
                let mut sink = Vec::new();
                let _ = s.read_to_end(&mut sink);
            })
        })
        .collect();
    // A slow stranger that never speaks is dropped after the handshake deadline.
    let mut silent = TcpStream::connect(&address).unwrap();
    for i in 0..200u32 {
        d.push(Some(&format!("t{i}")), vec![1, 2, 3], None, None)
            .unwrap();
    }
    wait_for(|| d.status().completed == 200);
    for s in strangers {
        s.join().unwrap();
    }
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut sink = Vec::new();
    let start = Instant::now();
    let _ = silent.read_to_end(&mut sink);
    assert!(start.elapsed() < Duration::from_secs(4));
    assert_eq!(d.status().cumulative, 1);
    assert!(d
        .take_resolved(usize::MAX)
        .iter()
        .all(|t| t.outcome.code == 0));
    d.terminate();
    worker.join().unwrap();
}

#[test]
fn a_thousand_connections_at_once_do_not_stall_work() {
    // Both ends of a thousand loopback connections live in this process.
    crew_core::os::raise_open_files_limit(4096);
    let d = dispatcher();
    let token = d.issue_credential(2);
    let first = spawn_echo_worker(worker_config(&d, &token));
    wait_for(|| d.status().connections == 1);
    for i in 0..100u32 {
        d.push(Some(&format!("before{i}")), vec![1; 1000], None, None)
            .unwrap();
    }
    let address = address_from_url(&d.url()).unwrap();
    // A thousand connections opened together and held open without a word:
    // more than the handshake cap, so some are refused at once.
    let flood: Vec<TcpStream> = (0..1000)
        .filter_map(|_| TcpStream::connect(&address).ok())
        .collect();
    assert!(
        flood.len() >= 900,
        "only {} connections opened",
        flood.len()
    );
    // A worker that arrives while the flood holds every handshake slot is
    // turned away at first, keeps dialling, and gets in once the silent
    // connections reach their handshake deadline.
    let second = spawn_echo_worker(worker_config(&d, &token));
    for i in 0..100u32 {
        d.push(Some(&format!("during{i}")), vec![2; 1000], None, None)
            .unwrap();
    }
    wait_for(|| d.status().completed == 200);
    wait_for(|| d.status().connections == 2);
    drop(flood);
    assert_eq!(d.status().cumulative, 2);
    let taken = d.take_resolved(usize::MAX);
    assert_eq!(taken.len(), 200);
    assert!(taken.iter().all(|t| t.outcome.code == 0));
    d.terminate();
    first.join().unwrap();
    second.join().unwrap();
}

#[test]
fn worker_limits_end_the_session_and_say_why() {
    let d = dispatcher();
    let token = d.issue_credential(3);
    let mut config = worker_config(&d, &token);
    config.max_tasks = Some(2);
    let max_tasks = spawn_echo_worker(config);
    for i in 0..2 {
        d.push(Some(&format!("m{i}")), vec![], None, None).unwrap();
    }
    assert_eq!(max_tasks.join().unwrap(), ExitReason::MaxTasks);

    let mut config = worker_config(&d, &token);
    config.idle = Some(Duration::from_millis(300));
    assert_eq!(spawn_echo_worker(config).join().unwrap(), ExitReason::Idle);

    let mut config = worker_config(&d, &token);
    config.wall = Some(Duration::from_millis(300));
    assert_eq!(spawn_echo_worker(config).join().unwrap(), ExitReason::Wall);
    wait_for(|| d.status().connections == 0);
    assert_eq!(d.status().completed, 2);
    d.terminate();
}

#[test]
fn idle_timer_waits_for_tasks_timers() {
    let d = dispatcher();
    let token = d.issue_credential(1);
    let mut config = worker_config(&d, &token);
    config.idle = Some(Duration::from_millis(200));
    config.timers_after = 1;
    let worker = spawn_echo_worker(config);
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        d.status().connections,
        1,
        "the idle timer must not run before the first task"
    );
    d.push(Some("one"), vec![], None, None).unwrap();
    assert_eq!(worker.join().unwrap(), ExitReason::Idle);
    d.terminate();
}

#[test]
fn goodbye_with_unstarted_task_requeues_it() {
    let d = dispatcher();
    let token = d.issue_credential(2);
    let mut config = worker_config(&d, &token);
    config.max_tasks = Some(1);
    let first = spawn_echo_worker(config);
    d.push(Some("a"), vec![], None, None).unwrap();
    assert_eq!(first.join().unwrap(), ExitReason::MaxTasks);
    d.push(Some("b"), vec![], None, None).unwrap();
    let second = spawn_echo_worker(worker_config(&d, &token));
    wait_for(|| d.status().completed == 2);
    assert!(d.take_resolved(5).iter().all(|t| t.outcome.code == 0));
    d.terminate();
    second.join().unwrap();
}

#[test]
fn task_timeout_resolves_with_code_5() {
    let d = dispatcher();
    d.push(Some("slow"), vec![], Some(Duration::from_millis(100)), None)
        .unwrap();
    wait_for(|| d.status().completed == 1);
    assert_eq!(
        d.take_resolved(1)[0].outcome.code,
        crew_core::dispatcher::CODE_TIMEOUT
    );
    d.terminate();
}

#[test]
fn terminate_frees_the_port_at_once() {
    let d = dispatcher();
    let port = d.port();
    d.terminate();
    let again = common::dispatcher_on(port, "").unwrap();
    assert_eq!(again.port(), port);
    again.terminate();
}

#[test]
fn lost_dispatcher_ends_the_worker() {
    let d = dispatcher();
    let token = d.issue_credential(1);
    let worker = spawn_echo_worker(worker_config(&d, &token));
    wait_for(|| d.status().connections == 1);
    drop(d);
    assert_eq!(worker.join().unwrap(), ExitReason::Normal);
}

#[test]
fn no_task_waits_behind_a_long_task_while_a_worker_is_idle() {
    let d = dispatcher();
    let token = d.issue_credential(2);
    let workers: Vec<_> = (0..2)
        .map(|_| common::spawn_sleepy_worker(worker_config(&d, &token)))
        .collect();
    wait_for(|| d.status().connections == 2);
    let start = Instant::now();
    d.push(Some("long"), 1500u32.to_le_bytes().to_vec(), None, None)
        .unwrap();
    for i in 0..40 {
        d.push(
            Some(&format!("short{i}")),
            5u32.to_le_bytes().to_vec(),
            None,
            None,
        )
        .unwrap();
    }
    // The worker with the long task holds a short one behind it; the
    // dispatcher takes it back once the other worker runs out of work.
    wait_for(|| d.status().completed == 40);
    assert!(
        start.elapsed() < Duration::from_millis(1200),
        "short tasks waited behind the long one: {:?}",
        start.elapsed()
    );
    let names: Vec<String> = d
        .take_resolved(usize::MAX)
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert!(!names.contains(&"long".to_string()));
    wait_for(|| d.status().completed == 41);
    assert_eq!((d.status().awaiting, d.status().executing), (0, 0));
    d.terminate();
    for w in workers {
        w.join().unwrap();
    }
}

#[test]
fn a_worker_at_its_task_limit_gives_back_the_task_it_held() {
    let d = dispatcher();
    let token = d.issue_credential(2);
    d.push(Some("a"), vec![], None, None).unwrap();
    d.push(Some("b"), vec![], None, None).unwrap();
    let mut config = worker_config(&d, &token);
    config.max_tasks = Some(1);
    let first = spawn_echo_worker(config);
    assert_eq!(first.join().unwrap(), ExitReason::MaxTasks);
    wait_for(|| d.status().connections == 0);
    assert_eq!((d.status().completed, d.status().awaiting), (1, 1));
    let second = spawn_echo_worker(worker_config(&d, &token));
    wait_for(|| d.status().completed == 2);
    assert!(d.take_resolved(5).iter().all(|t| t.outcome.code == 0));
    d.terminate();
    second.join().unwrap();
}

#[test]
fn cancelling_a_held_task_frees_the_worker_for_the_next() {
    let d = dispatcher();
    let token = d.issue_credential(1);
    let worker = common::spawn_sleepy_worker(worker_config(&d, &token));
    wait_for(|| d.status().connections == 1);
    d.push(Some("running"), 300u32.to_le_bytes().to_vec(), None, None)
        .unwrap();
    d.push(Some("held"), 0u32.to_le_bytes().to_vec(), None, None)
        .unwrap();
    assert_eq!(d.cancel(&["held".into()], false), 1);
    d.push(Some("after"), 0u32.to_le_bytes().to_vec(), None, None)
        .unwrap();
    wait_for(|| d.status().completed == 3);
    let mut outcomes: Vec<(String, i32)> = d
        .take_resolved(5)
        .iter()
        .map(|t| (t.name.to_string(), t.outcome.code))
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        vec![
            ("after".into(), 0),
            ("held".into(), crew_core::dispatcher::CODE_CANCEL),
            ("running".into(), 0)
        ]
    );
    d.terminate();
    worker.join().unwrap();
}

#[test]
fn backlog_watchers_hear_once_of_tasks_queued_and_workers_come_and_gone() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let d = dispatcher();
    let heard = Arc::new(AtomicUsize::new(0));
    let watch = |d: &Dispatcher| {
        let heard = heard.clone();
        d.on_backlog_change(Box::new(move || {
            heard.fetch_add(1, Ordering::SeqCst);
        }));
    };
    watch(&d);
    d.push(None, vec![1], None, None).unwrap();
    d.push(None, vec![2], None, None).unwrap();
    assert_eq!(heard.load(Ordering::SeqCst), 1, "a watcher runs once");
    watch(&d);
    let token = d.issue_credential(1);
    let mut config = worker_config(&d, &token);
    config.idle = Some(Duration::from_millis(300));
    let worker = spawn_echo_worker(config);
    wait_for(|| heard.load(Ordering::SeqCst) == 2);
    wait_for(|| d.status().completed == 2);
    assert_eq!(heard.load(Ordering::SeqCst), 2, "results are no news");
    watch(&d);
    assert_eq!(worker.join().unwrap(), ExitReason::Idle);
    wait_for(|| heard.load(Ordering::SeqCst) == 3);
    watch(&d);
    d.terminate();
    d.on_backlog_change(Box::new(|| panic!("a terminated dispatcher has no news")));
    assert_eq!(heard.load(Ordering::SeqCst), 3);
}

#[test]
fn a_worker_that_comes_after_its_launch_window_is_refused() {
    let d = dispatcher();
    let late = d.issue_credential_within(1, Some(Duration::from_millis(200)));
    let timely = d.issue_credential_within(1, Some(Duration::from_secs(30)));
    std::thread::sleep(Duration::from_millis(300));
    let refused = spawn_echo_worker(worker_config(&d, &late));
    assert_eq!(refused.join().unwrap(), ExitReason::Rejected);
    let accepted = spawn_echo_worker(worker_config(&d, &timely));
    wait_for(|| d.status().connections == 1);
    // The late launch's worker never joined: it still counts as unspent,
    // for terminate() to hand to the launcher; the timely one is spent.
    assert_eq!(d.unspent(&late), 1);
    assert_eq!(d.unspent(&timely), 0);
    assert_eq!(d.unspent("not a credential"), 0);
    d.terminate();
    assert_eq!(accepted.join().unwrap(), ExitReason::Normal);
}
