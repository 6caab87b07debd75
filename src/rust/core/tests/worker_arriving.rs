//! Large tasks reach the evaluating thread while their bytes still arrive:
//! they must come through whole, and a connection that breaks part way
//! must end the read instead of leaving the thread waiting.

mod common;

use common::{dispatcher, spawn_echo_worker, wait_for, worker_config};
use crew_core::dispatcher::{Dispatcher, Woken};
use crew_core::incoming::{Cursor, Incoming};
use crew_core::protocol::frame::encode_prefix;
use crew_core::protocol::{ExitReason, Message};
use crew_core::worker::{Event, Payload, WorkerClient, WorkerConfig};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn large_tasks_arrive_in_pieces_and_come_back_whole() {
    let d = dispatcher();
    let token = d.issue_credential(1);
    let worker = spawn_echo_worker(worker_config(&d, &token));
    let sizes = [12 << 20, 5 << 20, 1000, (4 << 20) + 1];
    for (i, size) in sizes.iter().enumerate() {
        d.push(Some(&format!("t{i}")), pattern(*size, i as u8), None, None)
            .unwrap();
    }
    wait_for(|| d.status().completed == sizes.len() as u64);
    let mut taken = d.take_resolved(usize::MAX);
    taken.sort_by(|a, b| a.name.cmp(&b.name));
    for (i, t) in taken.iter().enumerate() {
        let mut expected = pattern(sizes[i], i as u8);
        expected.reverse();
        let payload = t.outcome.payload.to_vec().unwrap();
        assert!(payload == expected, "task {i} came back changed");
    }
    d.terminate();
    assert_eq!(worker.join().unwrap(), ExitReason::Normal);
}

/// The first large result the dispatcher hands out while it arrives; the
/// task must not resolve before that.
fn first_arriving(d: &Dispatcher) -> Arc<Incoming> {
    match d.wait_or_arriving(true, Duration::from_secs(30)) {
        Woken::Arriving(incoming) => incoming,
        Woken::Holds => panic!("the result resolved without being handed out first"),
        Woken::TimedOut => panic!("no result arrived"),
    }
}

#[test]
fn a_waiting_client_is_handed_a_large_result_while_it_arrives() {
    let d = dispatcher();
    let token = d.issue_credential(1);
    let worker = spawn_echo_worker(worker_config(&d, &token));
    let size = 24 << 20;
    d.push(Some("big"), pattern(size, 7), None, None).unwrap();
    let incoming = first_arriving(&d);
    let mut read = vec![0u8; incoming.len()];
    Cursor::new(&incoming).copy_to(&mut read).unwrap();
    let mut expected = pattern(size, 7);
    expected.reverse();
    assert!(read == expected, "the early read differs from the result");
    assert!(
        matches!(
            d.wait_or_arriving(true, Duration::from_secs(30)),
            Woken::Holds
        ),
        "each result is handed out once"
    );
    let taken = d.take_resolved(usize::MAX);
    assert!(
        matches!(&taken[0].outcome.payload, Payload::Arriving(kept) if Arc::ptr_eq(kept, &incoming)),
        "the resolved task keeps the bytes that were read early"
    );
    d.terminate();
    assert_eq!(worker.join().unwrap(), ExitReason::Normal);
}

#[test]
fn a_large_result_that_breaks_off_ends_the_early_read_and_crashes_its_task() {
    let d = dispatcher();
    let token = d.issue_credential(1);
    let config = worker_config(&d, &token);
    let worker = std::thread::spawn(move || {
        let client = WorkerClient::start(config).unwrap();
        loop {
            match client.next_event(Duration::from_secs(30), || {}) {
                Some(Event::Task { id, .. }) => {
                    // 12 MB announced, 5 MB written, then the producer fails:
                    // the connection closes part way through the frame.
                    let sent = client.send_result_produced(id, common::meta(0), 12 << 20, |put| {
                        put(&vec![7u8; 5 << 20]);
                        false
                    });
                    assert!(!sent);
                }
                Some(Event::Ready { .. }) => {}
                Some(Event::Exit(reason)) => return reason,
                None => return ExitReason::Lost,
            }
        }
    });
    d.push(Some("big"), vec![1], None, None).unwrap();
    let incoming = first_arriving(&d);
    let mut read = vec![0u8; incoming.len()];
    assert!(
        Cursor::new(&incoming).copy_to(&mut read).is_err(),
        "the early read ends instead of waiting"
    );
    assert!(d.wait_for(true, Duration::from_secs(30)));
    let taken = d.take_resolved(usize::MAX);
    assert_eq!(taken[0].outcome.code, crew_core::dispatcher::CODE_CRASH);
    assert_ne!(worker.join().unwrap(), ExitReason::Normal);
}

/// A dispatcher of the test's own that welcomes the worker, announces a
/// task of `announced` bytes, sends `sent` of them and hangs up.
fn hang_up_mid_task(announced: usize, sent: usize) -> WorkerConfig {
    common::fake_dispatcher((1000, 2000), move |socket| {
        let task = Message::Task {
            id: 1,
            name: "big".into(),
            part: 0,
        };
        let prefix = encode_prefix(&task, announced).unwrap();
        socket.write_all(&prefix).unwrap();
        socket.write_all(&vec![1u8; sent]).unwrap();
        socket.flush().unwrap();
        std::thread::sleep(Duration::from_millis(200));
    })
}

#[test]
fn a_connection_lost_mid_task_ends_the_read_instead_of_waiting() {
    let config = hang_up_mid_task(20 << 20, 3 << 20);
    let client = WorkerClient::start(config).unwrap();
    let mut saw_task = false;
    loop {
        match client.next_event(Duration::from_secs(10), || {}) {
            Some(Event::Ready { .. }) => {}
            Some(Event::Task { payload, .. }) => {
                assert!(matches!(payload, Payload::Arriving(_)));
                assert_eq!(payload.len(), 20 << 20);
                assert!(payload.into_vec().is_err());
                saw_task = true;
                client.send_result(1, common::meta(0), Vec::new());
            }
            Some(Event::Exit(reason)) => {
                assert_eq!(reason, ExitReason::Lost);
                break;
            }
            None => panic!("the worker was left waiting"),
        }
    }
    assert!(saw_task);
}
