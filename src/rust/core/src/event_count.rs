//! An event count: a counting condition variable. Each notification adds
//! one to a count and wakes waiters; each successful wait consumes one. A
//! notification is forwarded to the event counts registered with
//! [`EventCount::forward_to`] (without consuming the source's count), which
//! is how a dispatcher's "task resolved" events reach a controller's relay
//! and, through it, a controller group's relay. The R layer calls these
//! signals; they have nothing to do with the operating system's signals.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

/// Forwarding chains are short (dispatcher, client, group); a cap stops a
/// user-made cycle from recursing forever.
const MAX_FORWARD_DEPTH: usize = 16;

/// A counting condition variable with forwarding.
#[derive(Default)]
pub struct EventCount {
    /// Bumped by every notification, readable without the lock.
    generation: AtomicU64,
    count: Mutex<Count>,
    cond: Condvar,
    targets: Mutex<Vec<Weak<EventCount>>>,
}

/// The count and the number of threads waiting for it, so a notification
/// that nobody waits for costs no system call.
#[derive(Default)]
struct Count {
    value: u64,
    waiters: usize,
}

impl EventCount {
    /// A new event count at zero.
    pub fn new() -> Arc<EventCount> {
        Arc::new(EventCount::default())
    }

    /// Adds one to the count, wakes waiters and forwards.
    pub fn notify(&self) {
        self.notify_depth(0);
    }

    fn notify_depth(&self, depth: usize) {
        self.generation.fetch_add(1, Ordering::Release);
        let wake = {
            let mut count = self.count.lock().unwrap_or_else(|e| e.into_inner());
            count.value += 1;
            count.waiters > 0
        };
        if wake {
            self.cond.notify_all();
        }
        if depth >= MAX_FORWARD_DEPTH {
            return;
        }
        let targets: Vec<Arc<EventCount>> = {
            let mut targets = self.targets.lock().unwrap_or_else(|e| e.into_inner());
            if targets.is_empty() {
                return;
            }
            targets.retain(|t| t.strong_count() > 0);
            targets.iter().filter_map(Weak::upgrade).collect()
        };
        for target in targets {
            target.notify_depth(depth + 1);
        }
    }

    /// How many notifications there have been, read without locking: a cheap
    /// test of whether anything happened since an earlier reading.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The current count.
    pub fn value(&self) -> u64 {
        self.count.lock().unwrap_or_else(|e| e.into_inner()).value
    }

    /// Waits up to `timeout` for the count to be positive, then consumes one.
    /// Returns whether one was consumed.
    pub fn wait(&self, timeout: Duration) -> bool {
        let deadline = crate::duration::deadline_in(timeout);
        let mut count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        count.waiters += 1;
        let consumed = loop {
            if count.value > 0 {
                count.value -= 1;
                break true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break false;
            }
            count = self
                .cond
                .wait_timeout(count, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        };
        count.waiters -= 1;
        consumed
    }

    /// Every later notification of `self` also notifies `target`.
    pub fn forward_to(&self, target: &Arc<EventCount>) {
        let mut targets = self.targets.lock().unwrap_or_else(|e| e.into_inner());
        targets.push(Arc::downgrade(target));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_consumes_one_notification() {
        let s = EventCount::new();
        assert!(!s.wait(Duration::from_millis(1)));
        s.notify();
        s.notify();
        assert_eq!(s.value(), 2);
        assert!(s.wait(Duration::ZERO));
        assert_eq!(s.value(), 1);
    }

    #[test]
    fn forwarding_does_not_consume_the_source() {
        let from = EventCount::new();
        let mid = EventCount::new();
        let to = EventCount::new();
        from.forward_to(&mid);
        mid.forward_to(&to);
        from.notify();
        assert_eq!((from.value(), mid.value(), to.value()), (1, 1, 1));
        assert!(mid.wait(Duration::ZERO));
        assert!(!mid.wait(Duration::from_millis(1)));
    }

    #[test]
    fn cycles_terminate() {
        let a = EventCount::new();
        let b = EventCount::new();
        a.forward_to(&b);
        b.forward_to(&a);
        a.notify();
        assert!(a.value() > 0 && b.value() > 0);
    }

    #[test]
    fn waiter_wakes_from_another_thread() {
        let s = EventCount::new();
        let s2 = s.clone();
        let t = std::thread::spawn(move || s2.wait(Duration::from_secs(5)));
        std::thread::sleep(Duration::from_millis(20));
        s.notify();
        assert!(t.join().unwrap());
    }
}
