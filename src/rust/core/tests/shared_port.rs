//! Dispatchers of one process on one port: each worker reaches the
//! dispatcher that issued its credential, and the port closes with the
//! last of them.

mod common;

use common::{dispatcher_on, spawn_echo_worker, wait_for, worker_config};
use crew_core::dispatcher::Dispatcher;
use crew_core::protocol::ExitReason;
use crew_core::worker::WorkerClient;
use crew_core::Error;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn dispatchers_on_one_port_keep_their_own_workers_and_tasks() {
    let port = free_port();
    let dispatchers: Vec<Dispatcher> = (0..3)
        .map(|_| dispatcher_on(port, "plain").unwrap())
        .collect();
    assert!(dispatchers.iter().all(|d| d.port() == port));
    assert!(dispatchers.iter().all(|d| d.url() == dispatchers[0].url()));
    let workers: Vec<_> = dispatchers
        .iter()
        .map(|d| spawn_echo_worker(worker_config(d, &d.issue_credential(1))))
        .collect();
    for (index, d) in dispatchers.iter().enumerate() {
        for task in 0..50u8 {
            d.push(None, vec![index as u8, task], None, None).unwrap();
        }
    }
    for (index, d) in dispatchers.iter().enumerate() {
        wait_for(|| d.status().completed == 50);
        assert_eq!(d.status().connections, 1);
        for taken in d.take_resolved(usize::MAX) {
            // The echo worker reverses the payload: its last byte says
            // which dispatcher queued the task.
            assert_eq!(
                taken.outcome.payload.to_vec().unwrap().last(),
                Some(&(index as u8))
            );
        }
    }

    // A credential of a dispatcher that terminated is worthless, while the
    // others keep the port and their work.
    let spare = dispatchers[0].issue_credential(1);
    let mut dispatchers = dispatchers.into_iter();
    let first = dispatchers.next().unwrap();
    let config = worker_config(&first, &spare);
    first.terminate();
    let late = WorkerClient::start(config).unwrap();
    let exit = match late.next_event(std::time::Duration::from_secs(10), || {}) {
        Some(crew_core::worker::Event::Exit(reason)) => reason,
        Some(_) => panic!("a worker of a terminated dispatcher was let in"),
        None => panic!("the refused worker did not exit"),
    };
    assert_eq!(exit, ExitReason::Rejected);
    let rest: Vec<Dispatcher> = dispatchers.collect();
    rest[1].push(None, vec![9, 9], None, None).unwrap();
    wait_for(|| rest[1].status().completed == 51);

    for d in &rest {
        d.terminate();
    }
    for w in workers {
        assert_eq!(w.join().unwrap(), ExitReason::Normal);
    }
    // The port is free once the last dispatcher on it terminated.
    std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
}

#[test]
fn other_tls_settings_on_a_shared_port_are_refused() {
    let port = free_port();
    let first = dispatcher_on(port, "plain").unwrap();
    match dispatcher_on(port, "automatic") {
        Err(Error::PortShared { port: p, .. }) => assert_eq!(p, port),
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("a dispatcher with other TLS settings shared the port"),
    }
    first.terminate();
    // With the port given up, other settings may take it.
    dispatcher_on(port, "automatic").unwrap().terminate();
}
