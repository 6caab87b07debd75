//! Long seeded walks of every state operation, checking after each step
//! that the pool, the task queue and the result queue keep their
//! invariants and that the counters R reads agree with the tasks.

use super::tests::meta;
use super::*;

/// Items named `<prefix>_1`, `<prefix>_2`, ...
struct Prefixed(String, usize);

impl Items for Prefixed {
    fn len(&self) -> usize {
        self.1
    }
    fn name(&self, index: usize) -> String {
        format!("{}_{}", self.0, index + 1)
    }
    fn find(&self, name: &str) -> Option<usize> {
        let i: usize = name
            .strip_prefix(&self.0)?
            .strip_prefix('_')?
            .parse()
            .ok()?;
        (1..=self.1).contains(&i).then(|| i - 1)
    }
    fn payload(&self, index: usize) -> Vec<u8> {
        vec![index as u8]
    }
}

/// xorshift64: reproducible steps with no dependency.
struct Steps(u64);

impl Steps {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

fn check(s: &State) {
    s.pool.assert_invariants();
    let phase = |id: u64| s.tasks.get(id).map(|task| &task.phase);
    s.queue
        .assert_invariants(|id| matches!(phase(id), Some(Phase::Waiting(Place::Queued))));
    s.results
        .assert_invariants(|id| matches!(phase(id), Some(Phase::Resolved(_))));
    let (mut awaiting, mut executing) = (0, 0);
    for (_, task) in s.tasks.iter() {
        match task.phase {
            Phase::Waiting(Place::Queued | Place::Held(_)) => awaiting += 1,
            Phase::Waiting(Place::Running(_)) => executing += 1,
            Phase::Resolved(_) => {}
        }
    }
    let status = s.status();
    assert_eq!((status.awaiting, status.executing), (awaiting, executing));
    // Closing drops the workers but leaves the last count R saw.
    if !s.is_closed() {
        assert_eq!(status.connections, s.pool.len() as u64);
    }
    // Pairing leaves no queued task beside a worker that could run it.
    if !s.queue.is_empty() {
        assert_eq!(s.pool.idle_count(), 0, "a worker idles while tasks queue");
    }
}

fn walk(seed: u64, steps: usize) {
    let mut s = State::new(EventCount::new());
    let mut next = Steps(seed);
    let mut workers: Vec<u64> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for step in 0..steps {
        match next.below(10) {
            0 | 1 => {
                let (_, name) = s.push(None, vec![1, 2, 3], None).unwrap();
                names.push(name.to_string());
            }
            2 => {
                let prefix = format!("batch{step}");
                let n = 1 + next.below(6);
                s.push_batch(vec![0], Box::new(Prefixed(prefix.clone(), n)), false)
                    .unwrap();
                names.extend((1..=n).map(|i| format!("{prefix}_{i}")));
            }
            3 if workers.len() < 5 => {
                let link = Arc::new(Link::new(tokio::io::sink()));
                let (id, _) = s.join(link, 1, "host", std::time::Instant::now()).unwrap();
                if next.below(4) > 0 {
                    s.ready(id);
                }
                workers.push(id);
            }
            4 | 5 if !workers.is_empty() => {
                // A worker finishes the task it runs.
                let w = workers[next.below(workers.len())];
                let running = s.pool.get(w).and_then(|w| w.assigned().front().copied());
                if let Some(task) = running {
                    s.result(w, task, meta(0), vec![]);
                }
            }
            6 if !workers.is_empty() => {
                // A worker gives back a task it holds and never started.
                let w = workers[next.below(workers.len())];
                let held = s.pool.get(w).and_then(|w| w.assigned().back().copied());
                if let Some(task) = held.filter(|_| s.pool.get(w).unwrap().assigned().len() > 1) {
                    s.released(w, task);
                }
            }
            7 if !workers.is_empty() => {
                let w = workers.swap_remove(next.below(workers.len()));
                s.leave(w, next.below(2) == 0);
            }
            8 if !names.is_empty() => {
                let name = names[next.below(names.len())].clone();
                if next.below(2) == 0 {
                    s.cancel(&[name], false);
                } else {
                    s.take(&[name]);
                }
            }
            9 => {
                s.take_resolved(next.below(4));
            }
            _ => {}
        }
        s.take_outgoing();
        check(&s);
    }
    s.close();
    check(&s);
}

#[test]
fn seeded_walks_keep_every_invariant() {
    for seed in 1..=40u64 {
        walk(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), 400);
    }
}
