//! Batches of tasks and the cells that handles watch, without sockets.

use super::tests::{meta, push, task_id, worker};
use super::*;
use crate::dispatcher::{Cells, TaskCell};

/// Items named `b_1`, `b_2`, ... whose payload is the index.
struct Numbered(usize);

impl Items for Numbered {
    fn len(&self) -> usize {
        self.0
    }
    fn name(&self, index: usize) -> String {
        format!("b_{}", index + 1)
    }
    fn find(&self, name: &str) -> Option<usize> {
        let i: usize = name.strip_prefix("b_")?.parse().ok()?;
        (1..=self.0).contains(&i).then(|| i - 1)
    }
    fn payload(&self, index: usize) -> Vec<u8> {
        vec![index as u8]
    }
}

#[test]
fn a_batch_sends_its_part_once_per_worker_and_names_its_tasks() {
    let mut s = State::new(EventCount::new());
    let (_, cells) = s
        .push_batch(vec![7, 7], Box::new(Numbered(5)), true)
        .unwrap();
    let cells = cells.unwrap();
    assert_eq!((cells.len(), s.size(), s.status().awaiting), (5, 5, 5));
    assert!(s.holds("b_3") && !s.holds("b_6") && !s.holds("b_0"));
    assert!(matches!(
        push(&mut s, "b_2", vec![]),
        Err(Error::DuplicateName(_))
    ));
    let a = worker(&mut s);
    let first = s.take_outgoing();
    // The queue is deeper than one task per worker: the running task and
    // three behind it.
    assert_eq!(first.len(), 4);
    assert_eq!(
        first[0].part.as_ref().map(|(_, p)| p.to_vec()),
        Some(vec![7, 7])
    );
    assert!(
        first[1..].iter().all(|d| d.part.is_none()),
        "the worker has the part already"
    );
    assert!(
        matches!(&first[0].message, Message::Task { name, part, .. } if name == "b_1" && *part > 0)
    );
    assert_eq!(*first[2].payload, vec![2]);
    let b = worker(&mut s);
    let second = s.take_outgoing();
    assert_eq!(second.len(), 1);
    assert!(second[0].part.is_some(), "a new worker gets the part");
    let id = |d: &Delivery| match d.message {
        Message::Task { id, .. } => id,
        _ => panic!(),
    };
    s.result(a, id(&first[0]), meta(0), vec![1]);
    s.result(b, id(&second[0]), meta(0), vec![4]);
    let taken = s.take(&["b_5".to_string(), "b_3".to_string()]);
    assert_eq!(taken.len(), 1);
    assert_eq!(&*taken[0].name, "b_5");
    assert!(!s.holds("b_5"));
    // b_2 now runs on the first worker: cancelling it resolves it at once.
    assert_eq!(s.cancel(&["b_2".to_string()], false), 1);
    assert_eq!(
        s.names().iter().map(|n| n.to_string()).collect::<Vec<_>>(),
        vec!["b_1", "b_2", "b_3", "b_4"]
    );
    assert_eq!(
        cells.get(1).unwrap().outcome().map(|o| o.code),
        Some(CODE_CANCEL)
    );
    assert_eq!(
        s.cell("b_3").map(|(c, i)| (Arc::ptr_eq(&c, &cells), i)),
        Some((true, 2))
    );
    let rest = s.take_resolved(10);
    assert_eq!(
        rest.iter().map(|t| t.name.to_string()).collect::<Vec<_>>(),
        vec!["b_1", "b_2"]
    );
    // Once every task of the batch is gone, so is the batch.
    s.cancel(&[], true);
    s.take_resolved(10);
    assert_eq!(s.size(), 0);
    assert!(s.batches.iter().all(|b| b.strong_count() == 0) || s.batches.is_empty());
    assert!(push(&mut s, "b_1", vec![]).is_ok());
}

#[test]
fn tasks_and_cells_stay_small() {
    // A million queued tasks of a walk cost these per task.
    assert!(
        std::mem::size_of::<Task>() <= 48,
        "{}",
        std::mem::size_of::<Task>()
    );
    assert_eq!(std::mem::size_of::<TaskCell>(), 8);
    let cell = TaskCell::default();
    let outcome = Arc::new(Outcome::code_only(0));
    cell.fill(outcome.clone());
    cell.fill(Arc::new(Outcome::code_only(1)));
    assert_eq!(cell.outcome().map(|o| o.code), Some(0));
    drop(cell);
    assert_eq!(Arc::strong_count(&outcome), 1);
}

#[test]
fn a_watched_cell_wakes_its_watcher_once_when_its_task_resolves() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut s = State::new(EventCount::new());
    let w = worker(&mut s);
    let cells = Cells::new(2);
    let (id, _) = s.push(Some("watched"), vec![], Some((&cells, 1))).unwrap();
    let woken = Arc::new(AtomicUsize::new(0));
    let counter = woken.clone();
    assert!(cells.watch(
        1,
        Box::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        })
    ));
    assert_eq!(woken.load(Ordering::SeqCst), 0);
    task_id(&mut s);
    s.result(w, id, meta(0), vec![5]);
    assert_eq!(woken.load(Ordering::SeqCst), 1);
    // A resolved cell is not watched: the caller settles at once.
    assert!(!cells.watch(1, Box::new(|| panic!("must not run"))));
    // An unfilled cell of the same array keeps its own watcher.
    assert!(cells.watch(0, Box::new(|| {})));
    assert!(!cells.watch(7, Box::new(|| {})), "no such cell");
}
