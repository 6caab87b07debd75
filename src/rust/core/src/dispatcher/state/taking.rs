//! Handing tasks back to the caller: cells for new handles, the names of
//! the held tasks, and taking resolved tasks out by name or in order.

use super::{Cells, Phase, Source, State, Taken};
use std::sync::Arc;

impl State {
    /// The cell of the named held task, made now if no live handle has it.
    pub fn cell(&mut self, name: &str) -> Option<(Arc<Cells>, usize)> {
        let id = self.find(name)?;
        let task = self.tasks.get_mut(id)?;
        if let Some(cells) = task.cells.upgrade() {
            return Some((cells, task.cell as usize));
        }
        let cells = Cells::new(1);
        if let Phase::Resolved(outcome) = &task.phase {
            cells.fill(0, outcome.clone());
        }
        task.cells = Arc::downgrade(&cells);
        task.cell = 0;
        Some((cells, 0))
    }

    /// The names of the held tasks, oldest first.
    pub fn names(&self) -> Vec<Arc<str>> {
        self.tasks
            .iter()
            .map(|(id, task)| State::name_of(id, task))
            .collect()
    }

    /// Whether a task of this name is held.
    pub fn holds(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// Removes a resolved task.
    fn remove(&mut self, task_id: u64) -> Option<Taken> {
        let task = self.tasks.get(task_id)?;
        if !matches!(task.phase, Phase::Resolved(_)) {
            return None;
        }
        let name = State::name_of(task_id, task);
        let task = self.tasks.remove(task_id)?;
        match &task.source {
            Source::Own(own) => {
                self.by_name.remove(&own.name);
            }
            Source::Batch(batch) if Arc::strong_count(batch) == 1 => {
                self.batches
                    .retain(|b| !std::ptr::eq(b.as_ptr(), Arc::as_ptr(batch)));
            }
            Source::Batch(_) => {}
        }
        let Phase::Resolved(outcome) = task.phase else {
            return None;
        };
        let tasks = &self.tasks;
        self.results.taken(|id| tasks.contains(id));
        Some(Taken { name, outcome })
    }

    /// Removes and returns the named tasks that are resolved.
    pub fn take(&mut self, names: &[String]) -> Vec<Taken> {
        let ids: Vec<u64> = names.iter().filter_map(|n| self.find(n)).collect();
        ids.into_iter().filter_map(|id| self.remove(id)).collect()
    }

    /// Removes and returns up to `max` resolved tasks, oldest first.
    pub fn take_resolved(&mut self, max: usize) -> Vec<Taken> {
        let mut out = Vec::with_capacity(max.min(self.results.waiting()));
        while out.len() < max {
            let Some(id) = self.results.pop() else {
                break;
            };
            if let Some(taken) = self.remove(id) {
                out.push(taken);
            }
        }
        out
    }
}
