//! Transitions of the dispatcher state, without sockets.

use super::*;
use crate::protocol::Seed;

fn meta(code: i32) -> ResultMeta {
    ResultMeta {
        status: if code == 0 { "success" } else { "error" }.into(),
        code,
        command: None,
        error: None,
        trace: None,
        warnings: None,
        seconds: Some(0.0),
        seed: Seed::Missing,
        algorithm: None,
        controller: None,
    }
}

fn link() -> Arc<Link> {
    Arc::new(Link::new(tokio::io::sink()))
}

fn worker(state: &mut State) -> u64 {
    worker_with_pid(state, 4242)
}

fn worker_with_pid(state: &mut State, pid: u32) -> u64 {
    let (id, _) = state.join(link(), pid).unwrap();
    state.ready(id);
    id
}

fn sent(state: &mut State) -> Vec<Message> {
    state
        .take_outgoing()
        .into_iter()
        .map(|d| d.message)
        .collect()
}

fn task_id(state: &mut State) -> u64 {
    match sent(state).as_slice() {
        [Message::Task { id, .. }] => *id,
        other => panic!("expected one task, got {other:?}"),
    }
}

#[test]
fn fifo_assignment_and_counters() {
    let signal = Signal::new();
    let mut s = State::new(signal.clone());
    let a = s.push("a".into(), vec![1]).unwrap();
    let b = s.push("b".into(), vec![2]).unwrap();
    assert!(sent(&mut s).is_empty());
    assert_eq!(s.status().awaiting, 2);
    let w = worker(&mut s);
    assert_eq!(task_id(&mut s), a);
    assert_eq!((s.status().awaiting, s.status().executing), (1, 1));
    s.result(w, a, meta(0), vec![9]);
    assert_eq!(task_id(&mut s), b);
    assert_eq!(s.status().completed, 1);
    assert_eq!(signal.value(), 1);
    assert!(s.has_resolved());
    let taken = s.take_resolved(10);
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].name, "a");
    assert_eq!(taken[0].outcome.payload, vec![9]);
    assert!(!s.has_resolved());
}

#[test]
fn duplicate_names_are_refused_until_taken() {
    let mut s = State::new(Signal::new());
    s.push("x".into(), vec![]).unwrap();
    assert!(matches!(
        s.push("x".into(), vec![]),
        Err(Error::DuplicateName(_))
    ));
    s.cancel(&["x".into()], false);
    assert_eq!(s.take(&["x".into()]).len(), 1);
    s.push("x".into(), vec![]).unwrap();
}

#[test]
fn crash_resolves_with_code_19_and_goodbye_requeues() {
    let mut s = State::new(Signal::new());
    let w1 = worker(&mut s);
    s.push("t".into(), vec![]).unwrap();
    task_id(&mut s);
    s.leave(w1, true);
    assert_eq!((s.status().awaiting, s.status().executing), (1, 0));
    let w2 = worker_with_pid(&mut s, 777);
    task_id(&mut s);
    s.leave(w2, false);
    let taken = s.take_resolved(1);
    assert_eq!(taken[0].outcome.code, CODE_CRASH);
    // The crash names the process of the worker that held the task.
    assert_eq!(taken[0].outcome.worker_pid, Some(777));
    assert_eq!(s.status().connections, 0);
    assert_eq!(s.status().cumulative, 2);
}

#[test]
fn cancel_queued_and_running() {
    let mut s = State::new(Signal::new());
    let w = worker(&mut s);
    let run = s.push("run".into(), vec![]).unwrap();
    s.push("wait".into(), vec![]).unwrap();
    task_id(&mut s);
    assert_eq!(s.cancel(&[], true), 2);
    assert!(matches!(sent(&mut s).as_slice(), [Message::Cancel { .. }]));
    assert_eq!(s.status().completed, 2);
    // The late result of the cancelled task is discarded; the worker is free again.
    s.result(w, run, meta(0), vec![1]);
    let codes: Vec<i32> = s.take_resolved(5).iter().map(|t| t.outcome.code).collect();
    assert_eq!(codes, vec![CODE_CANCEL, CODE_CANCEL]);
    s.push("next".into(), vec![]).unwrap();
    task_id(&mut s);
}

#[test]
fn credentials_are_spent() {
    let mut s = State::new(Signal::new());
    let token = s.issue_credential(2);
    let c = Credential::parse(&token).unwrap();
    let n = crate::protocol::auth::nonce();
    let proof = c.prove(&n);
    assert!(s.authenticate(&c.id, &n, &proof));
    assert!(s.authenticate(&c.id, &n, &proof));
    assert!(!s.authenticate(&c.id, &n, &proof));
    assert!(!s.authenticate("nope", &n, &proof));
}

#[test]
fn each_worker_gets_its_own_stream() {
    let mut s = State::new(Signal::new());
    let (_, a) = s.join(link(), 4242).unwrap();
    let (_, b) = s.join(link(), 4242).unwrap();
    assert_ne!(a, b);
}

#[test]
fn closed_state_refuses_work() {
    let mut s = State::new(Signal::new());
    worker(&mut s);
    assert_eq!(s.close().len(), 1);
    assert!(s.push("x".into(), vec![]).is_err());
    assert!(s.join(link(), 4242).is_none());
}

#[test]
fn taking_by_name_keeps_the_resolution_queue_small() {
    let mut s = State::new(Signal::new());
    let w = worker(&mut s);
    for i in 0..1000 {
        let name = format!("t{i}");
        let id = s.push(name.clone(), vec![]).unwrap();
        task_id(&mut s);
        s.result(w, id, meta(0), vec![]);
        assert!(s.has_resolved());
        assert_eq!(s.take(&[name]).len(), 1);
        assert!(!s.has_resolved());
    }
    assert!(s.resolved.len() <= 64 + 1);
    assert!(s.take_resolved(10).is_empty());
}
