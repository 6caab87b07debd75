//! One-shot callbacks for whoever launches workers for the backlog (a
//! controller's autoscaling): each runs once, at the next change that can
//! call for more workers, so an autoscaler sleeps while nothing changes.

/// Callbacks waiting for the next change of demand or supply: a task
/// queued, a worker joining or leaving.
#[derive(Default)]
pub struct BacklogWatch(Vec<Box<dyn FnOnce() + Send>>);

impl BacklogWatch {
    pub fn add(&mut self, callback: Box<dyn FnOnce() + Send>) {
        self.0.push(callback);
    }

    /// Runs and forgets every waiting callback. Callbacks run under the
    /// dispatcher's lock, so they only hand the news on (to an event loop,
    /// say) and never call the dispatcher.
    pub fn changed(&mut self) {
        for callback in self.0.drain(..) {
            callback();
        }
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}
