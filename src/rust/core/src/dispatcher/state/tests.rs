//! Transitions of the dispatcher state, without sockets.

use super::*;
use crate::dispatcher::Cells;
use crate::incoming::Payload;
use crate::protocol::ResultMeta;

pub(super) fn meta(code: i32) -> ResultMeta {
    ResultMeta {
        status: if code == 0 { "success" } else { "error" }.into(),
        code,
        command: None,
        extras: None,
        seconds: Some(0.0),
        controller: None,
    }
}

fn link() -> Arc<Link> {
    Arc::new(Link::new(tokio::io::sink()))
}

pub(super) fn worker(state: &mut State) -> u64 {
    worker_with_pid(state, 4242)
}

fn worker_with_pid(state: &mut State, pid: u32) -> u64 {
    let (id, _) = state
        .join(link(), pid, "host", std::time::Instant::now())
        .unwrap();
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

pub(super) fn push(state: &mut State, name: &str, payload: Vec<u8>) -> Result<u64> {
    state.push(Some(name), payload, None).map(|(id, _)| id)
}

pub(super) fn task_id(state: &mut State) -> u64 {
    match sent(state).as_slice() {
        [Message::Task { id, .. }] => *id,
        other => panic!("expected one task, got {other:?}"),
    }
}

#[test]
fn fifo_assignment_and_counters() {
    let signal = EventCount::new();
    let mut s = State::new(signal.clone());
    let a = push(&mut s, "a", vec![1]).unwrap();
    let b = push(&mut s, "b", vec![2]).unwrap();
    let c = push(&mut s, "c", vec![3]).unwrap();
    assert!(sent(&mut s).is_empty());
    assert_eq!(s.status().awaiting, 3);
    let w = worker(&mut s);
    // The worker runs a and holds b; c waits here.
    assert_eq!(tasks_sent(&mut s), vec![a, b]);
    assert_eq!((s.status().awaiting, s.status().executing), (2, 1));
    s.result(w, a, meta(0), vec![9]);
    assert_eq!(tasks_sent(&mut s), vec![c]);
    assert_eq!((s.status().awaiting, s.status().executing), (1, 1));
    assert_eq!(s.status().completed, 1);
    assert_eq!(signal.value(), 1);
    assert!(s.has_resolved());
    let taken = s.take_resolved(10);
    assert_eq!(taken.len(), 1);
    assert_eq!(&*taken[0].name, "a");
    assert_eq!(taken[0].outcome.payload, Payload::Whole(vec![9]));
    assert!(!s.has_resolved());
}

#[test]
fn duplicate_names_are_refused_until_taken() {
    let mut s = State::new(EventCount::new());
    push(&mut s, "x", vec![]).unwrap();
    assert!(matches!(
        push(&mut s, "x", vec![]),
        Err(Error::DuplicateName(_))
    ));
    s.cancel(&["x".into()], false);
    assert_eq!(s.take(&["x".into()]).len(), 1);
    push(&mut s, "x", vec![]).unwrap();
}

#[test]
fn crash_resolves_with_code_19_and_goodbye_requeues() {
    let mut s = State::new(EventCount::new());
    let w1 = worker(&mut s);
    push(&mut s, "t", vec![]).unwrap();
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
fn cancel_queued_held_and_running() {
    let mut s = State::new(EventCount::new());
    let w = worker(&mut s);
    let run = push(&mut s, "run", vec![]).unwrap();
    let held = push(&mut s, "held", vec![]).unwrap();
    push(&mut s, "wait", vec![]).unwrap();
    assert_eq!(tasks_sent(&mut s), vec![run, held]);
    assert_eq!(s.cancel(&[], true), 3);
    let mut cancels: Vec<u64> = sent(&mut s)
        .into_iter()
        .map(|m| match m {
            Message::Cancel { id } => id,
            other => panic!("expected cancellations, got {other:?}"),
        })
        .collect();
    cancels.sort_unstable();
    assert_eq!(cancels, vec![run, held]);
    assert_eq!(s.status().completed, 3);
    // The late answers of the cancelled tasks are discarded; the worker is
    // free again once it answered for both.
    s.released(w, held);
    s.result(w, run, meta(0), vec![1]);
    let codes: Vec<i32> = s.take_resolved(5).iter().map(|t| t.outcome.code).collect();
    assert_eq!(codes, vec![CODE_CANCEL; 3]);
    push(&mut s, "next", vec![]).unwrap();
    task_id(&mut s);
}

#[test]
fn credentials_are_spent() {
    let mut s = State::new(EventCount::new());
    let token = s.issue_credential(2);
    let c = Credential::parse(&token).unwrap();
    let n = crate::protocol::auth::nonce();
    let proof = c.prove(&n);
    assert!(s.authenticate(&c.id, &n, &proof).is_some());
    assert!(s.authenticate(&c.id, &n, &proof).is_some());
    assert!(s.authenticate(&c.id, &n, &proof).is_none());
    assert!(s.authenticate("nope", &n, &proof).is_none());
}

#[test]
fn each_worker_gets_its_own_stream() {
    let mut s = State::new(EventCount::new());
    let (_, a) = s
        .join(link(), 4242, "host", std::time::Instant::now())
        .unwrap();
    let (_, b) = s
        .join(link(), 4242, "host", std::time::Instant::now())
        .unwrap();
    assert_ne!(a, b);
}

#[test]
fn closed_state_refuses_work() {
    let mut s = State::new(EventCount::new());
    worker(&mut s);
    assert_eq!(s.close().len(), 1);
    assert!(push(&mut s, "x", vec![]).is_err());
    assert!(s
        .join(link(), 4242, "host", std::time::Instant::now())
        .is_none());
}

#[test]
fn taking_by_name_keeps_the_resolution_queue_small() {
    let mut s = State::new(EventCount::new());
    let w = worker(&mut s);
    for i in 0..1000 {
        let name = format!("t{i}");
        let id = push(&mut s, &name, vec![]).unwrap();
        task_id(&mut s);
        s.result(w, id, meta(0), vec![]);
        assert!(s.has_resolved());
        assert_eq!(s.take(&[name]).len(), 1);
        assert!(!s.has_resolved());
    }
    assert!(s.results.len() <= 64 + 1);
    assert!(s.take_resolved(10).is_empty());
}

fn tasks_sent(state: &mut State) -> Vec<u64> {
    sent(state)
        .into_iter()
        .map(|m| match m {
            Message::Task { id, .. } => id,
            other => panic!("expected tasks only, got {other:?}"),
        })
        .collect()
}

fn counts(s: &State) -> (u64, u64) {
    (s.status().awaiting, s.status().executing)
}

#[test]
fn workers_hold_a_next_task_only_when_the_queue_is_deeper_than_idle_workers() {
    let mut s = State::new(EventCount::new());
    let w1 = worker(&mut s);
    let w2 = worker(&mut s);
    let a = push(&mut s, "a", vec![]).unwrap();
    // One task, two idle workers: nobody holds anything.
    assert_eq!(tasks_sent(&mut s), vec![a]);
    let b = push(&mut s, "b", vec![]).unwrap();
    assert_eq!(tasks_sent(&mut s), vec![b]);
    let c = push(&mut s, "c", vec![]).unwrap();
    let d = push(&mut s, "d", vec![]).unwrap();
    let e = push(&mut s, "e", vec![]).unwrap();
    // Both busy: each holds one more, the rest waits here.
    assert_eq!(tasks_sent(&mut s), vec![c, d]);
    assert_eq!(counts(&s), (3, 2));
    // w1 finishes a: c runs there now, and w1 holds e.
    s.result(w1, a, meta(0), vec![]);
    assert_eq!(tasks_sent(&mut s), vec![e]);
    assert_eq!(counts(&s), (2, 2));
    s.result(w2, b, meta(0), vec![]);
    assert!(sent(&mut s).is_empty());
    assert_eq!(counts(&s), (1, 2));
    assert!(s.status().executing <= s.status().connections);
}

#[test]
fn a_held_task_goes_to_a_worker_that_turns_idle() {
    let mut s = State::new(EventCount::new());
    let w1 = worker(&mut s);
    let w2 = worker(&mut s);
    let long = push(&mut s, "long", vec![]).unwrap();
    let short = push(&mut s, "short", vec![]).unwrap();
    let next = push(&mut s, "next", vec![]).unwrap();
    assert_eq!(tasks_sent(&mut s), vec![long, short, next]);
    // w2 finishes its short task while w1 still runs the long one and
    // holds `next`: the dispatcher asks for `next` back.
    s.result(w2, short, meta(0), vec![]);
    assert_eq!(sent(&mut s), vec![Message::Revoke { id: next }]);
    // Asked once only.
    s.ready(w2);
    assert!(sent(&mut s).is_empty());
    s.released(w1, next);
    assert_eq!(tasks_sent(&mut s), vec![next]);
    assert_eq!(counts(&s), (0, 2));
    s.result(w2, next, meta(0), vec![]);
    s.result(w1, long, meta(0), vec![]);
    assert_eq!(s.status().completed, 3);
    assert_eq!(counts(&s), (0, 0));
    assert!(sent(&mut s).is_empty());
}

#[test]
fn a_revoked_task_that_already_started_finishes_where_it_is() {
    let mut s = State::new(EventCount::new());
    let w1 = worker(&mut s);
    let w2 = worker(&mut s);
    let a = push(&mut s, "a", vec![]).unwrap();
    let b = push(&mut s, "b", vec![]).unwrap();
    let c = push(&mut s, "c", vec![]).unwrap();
    tasks_sent(&mut s);
    s.result(w2, b, meta(0), vec![]);
    assert_eq!(sent(&mut s), vec![Message::Revoke { id: c }]);
    // w1 had already moved on to c: both results arrive, no release.
    s.result(w1, a, meta(0), vec![]);
    s.result(w1, c, meta(0), vec![]);
    assert_eq!(s.status().completed, 3);
    assert_eq!(counts(&s), (0, 0));
    let d = push(&mut s, "d", vec![]).unwrap();
    let e = push(&mut s, "e", vec![]).unwrap();
    assert_eq!(tasks_sent(&mut s), vec![d, e]);
}

#[test]
fn cancelling_a_held_task_waits_for_the_worker_to_release_it() {
    let mut s = State::new(EventCount::new());
    let w = worker(&mut s);
    let a = push(&mut s, "a", vec![]).unwrap();
    let b = push(&mut s, "b", vec![]).unwrap();
    assert_eq!(tasks_sent(&mut s), vec![a, b]);
    assert_eq!(s.cancel(&["b".into()], false), 1);
    assert_eq!(sent(&mut s), vec![Message::Cancel { id: b }]);
    assert_eq!(counts(&s), (0, 1));
    // The slot stays taken until the worker answers.
    let c = push(&mut s, "c", vec![]).unwrap();
    assert!(sent(&mut s).is_empty());
    s.released(w, b);
    assert_eq!(tasks_sent(&mut s), vec![c]);
    s.result(w, a, meta(0), vec![]);
    s.result(w, c, meta(0), vec![]);
    let codes: Vec<i32> = s.take_resolved(5).iter().map(|t| t.outcome.code).collect();
    assert_eq!(codes, vec![CODE_CANCEL, 0, 0]);
}

#[test]
fn a_lost_worker_crashes_the_task_it_ran_and_requeues_the_one_it_held() {
    let mut s = State::new(EventCount::new());
    let w1 = worker_with_pid(&mut s, 11);
    let ran = push(&mut s, "ran", vec![]).unwrap();
    let held = push(&mut s, "held", vec![]).unwrap();
    assert_eq!(tasks_sent(&mut s), vec![ran, held]);
    s.leave(w1, false);
    assert_eq!(counts(&s), (1, 0));
    let taken = s.take_resolved(5);
    assert_eq!(taken.len(), 1);
    assert_eq!(
        (&*taken[0].name, taken[0].outcome.code),
        ("ran", CODE_CRASH)
    );
    worker(&mut s);
    assert_eq!(tasks_sent(&mut s), vec![held]);
}

#[test]
fn a_goodbye_requeues_every_held_task_in_order() {
    let mut s = State::new(EventCount::new());
    let w1 = worker(&mut s);
    let a = push(&mut s, "a", vec![]).unwrap();
    let b = push(&mut s, "b", vec![]).unwrap();
    let c = push(&mut s, "c", vec![]).unwrap();
    assert_eq!(tasks_sent(&mut s), vec![a, b]);
    s.leave(w1, true);
    assert_eq!(counts(&s), (3, 0));
    worker(&mut s);
    assert_eq!(tasks_sent(&mut s), vec![a, b]);
    let _ = c;
}

#[test]
fn a_cell_keeps_the_outcome_after_the_task_is_taken() {
    let mut s = State::new(EventCount::new());
    let w = worker(&mut s);
    let cells = Cells::new(4);
    let (id, name) = s.push(Some("t"), vec![], Some((&cells, 2))).unwrap();
    let cell = cells.get(2).unwrap();
    assert_eq!(&*name, "t");
    assert!(cell.outcome().is_none());
    task_id(&mut s);
    s.result(w, id, meta(0), vec![42]);
    assert_eq!(cell.outcome().unwrap().payload, Payload::Whole(vec![42]));
    assert_eq!(s.take_resolved(1).len(), 1);
    assert_eq!(cell.outcome().unwrap().payload, Payload::Whole(vec![42]));
    // A handle made later for a held task sees the same outcome.
    s.push(Some("u"), vec![], None).unwrap();
    let (later, index) = s.cell("u").unwrap();
    assert_eq!(index, 0);
    assert!(Arc::ptr_eq(&later, &s.cell("u").unwrap().0));
    assert!(s.cell("t").is_none());
}

#[test]
fn fresh_names_are_unique_and_say_so() {
    let mut s = State::new(EventCount::new());
    let mut names = std::collections::HashSet::new();
    for _ in 0..1000 {
        let (_, name) = s.push(None, vec![], None).unwrap();
        assert!(name.starts_with("unnamed_task_"));
        assert_eq!(name.len(), "unnamed_task_".len() + 12);
        assert!(names.insert(name.to_string()));
    }
    assert_eq!(s.size(), 1000);
    assert_eq!(s.names().len(), 1000);
}

#[test]
fn cancelling_queued_tasks_costs_what_it_cancels() {
    let mut s = State::new(EventCount::new());
    for i in 0..10_000 {
        push(&mut s, &format!("q{i}"), vec![]).unwrap();
    }
    let start = std::time::Instant::now();
    for i in 0..5_000 {
        assert_eq!(s.cancel(&[format!("q{i}")], false), 1);
    }
    // A linear scan per cancellation would take far longer than this.
    assert!(start.elapsed() < std::time::Duration::from_millis(500));
    assert_eq!(counts(&s), (5_000, 0));
    let w = worker(&mut s);
    let first = tasks_sent(&mut s);
    assert_eq!(
        first.len(),
        4,
        "with a deep queue a worker holds three behind its running task"
    );
    s.result(w, first[0], meta(0), vec![]);
    assert_eq!(s.take(&["q5000".into()]).len(), 1);
}

#[test]
fn a_worker_is_kept_full_while_the_queue_is_deep() {
    let mut s = State::new(EventCount::new());
    for i in 0..20 {
        push(&mut s, &format!("r{i}"), vec![]).unwrap();
    }
    let w = worker(&mut s);
    let first = tasks_sent(&mut s);
    assert_eq!(first.len(), WORKER_SLOTS);
    // Each result is answered with the next task at once, so the worker
    // never waits for one.
    for (round, done) in first.iter().enumerate() {
        s.result(w, *done, meta(0), vec![]);
        assert_eq!(tasks_sent(&mut s).len(), 1, "round {round}");
    }
    // Once the queue holds no more than one task per worker, a worker that
    // holds one behind its running task gets no more.
    let mut s = State::new(EventCount::new());
    let w = worker(&mut s);
    let x = push(&mut s, "x", vec![]).unwrap();
    let y = push(&mut s, "y", vec![]).unwrap();
    assert_eq!(tasks_sent(&mut s), vec![x, y]);
    push(&mut s, "z", vec![]).unwrap();
    assert!(
        tasks_sent(&mut s).is_empty(),
        "one queued task for one worker"
    );
    s.result(w, x, meta(0), vec![]);
    assert_eq!(
        tasks_sent(&mut s).len(),
        1,
        "down to one task, it gets the next"
    );
}

#[test]
fn closing_cancels_the_tasks_still_waiting() {
    let mut s = State::new(EventCount::new());
    let cells = Cells::new(2);
    s.push(Some("queued"), vec![], Some((&cells, 0))).unwrap();
    let w = worker(&mut s);
    let running = tasks_sent(&mut s);
    assert_eq!(running.len(), 1);
    s.push(Some("done"), vec![], Some((&cells, 1))).unwrap();
    let second = tasks_sent(&mut s);
    s.result(w, second[0], meta(0), vec![]);
    s.close();
    assert_eq!(
        cells.get(0).unwrap().outcome().map(|o| o.code),
        Some(CODE_CANCEL)
    );
    assert_eq!(cells.get(1).unwrap().outcome().map(|o| o.code), Some(0));
    assert_eq!(s.status().awaiting + s.status().executing, 0);
}

#[test]
fn a_large_result_is_handed_out_once_and_frees_its_task() {
    let mut s = State::new(EventCount::new());
    let a = push(&mut s, "a", vec![1; 100]).unwrap();
    let b = push(&mut s, "b", vec![2; 100]).unwrap();
    let w = worker(&mut s);
    assert_eq!(tasks_sent(&mut s), vec![a, b]);
    let own_len = |s: &State, id: u64| match &s.tasks.get(id).unwrap().source {
        Source::Own(own) => own.payload.len(),
        Source::Batch(_) => panic!("a pushed task"),
    };
    let held = crate::incoming::Incoming::new(10);
    s.arriving(w, b, &held);
    assert!(s.take_arriving().is_none(), "b is held, not running");
    assert_eq!(own_len(&s, b), 100);
    let incoming = crate::incoming::Incoming::new(10);
    s.arriving(w, a, &incoming);
    assert_eq!(own_len(&s, a), 0, "a can only resolve now");
    let handed = s.take_arriving().expect("the arriving result");
    assert!(Arc::ptr_eq(&handed, &incoming));
    assert!(s.take_arriving().is_none(), "handed out once");
    s.result(w, a, meta(0), Payload::Arriving(incoming.clone()));
    let taken = s.take_resolved(10);
    assert_eq!(taken[0].outcome.payload, Payload::Arriving(incoming));
}
