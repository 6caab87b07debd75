//! Queuing tasks: one pushed at a time under its own or a fresh name, or
//! a whole batch (`walk()`) whose tasks share one payload.

use super::{Batch, Cells, Error, Items, Own, Phase, Place, Result, Source, State, Task};
use std::sync::{Arc, Weak};

impl State {
    /// A name of the form `unnamed_task_<12 hex digits>` that no held task
    /// has.
    fn fresh_name(&mut self) -> Arc<str> {
        loop {
            let n = self.names_from & 0xffff_ffff_ffff;
            self.names_from = self.names_from.wrapping_add(1);
            let name: Arc<str> = Arc::from(format!("unnamed_task_{n:012x}"));
            if self.find(&name).is_none() {
                return name;
            }
        }
    }

    /// Queues a task under `name` (a fresh name if `None`) and hands it to a
    /// worker if one can take it. With `cell` (cells and an index), the
    /// task's outcome is also kept in that cell once it resolves.
    pub fn push(
        &mut self,
        name: Option<&str>,
        payload: Vec<u8>,
        cell: Option<(&Arc<Cells>, usize)>,
    ) -> Result<(u64, Arc<str>)> {
        if self.closed {
            return Err(Error::ProfileNotRunning("(terminated)".into()));
        }
        let name = match name {
            Some(name) if self.find(name).is_some() => {
                return Err(Error::DuplicateName(name.to_string()))
            }
            Some(name) => Arc::from(name),
            None => self.fresh_name(),
        };
        let mut payload = payload;
        if payload.capacity() > payload.len() + payload.len() / 8 {
            payload.shrink_to_fit();
        }
        let id = self.tasks.insert(Task {
            source: Source::Own(Box::new(Own {
                name: name.clone(),
                payload: Arc::new(payload),
            })),
            phase: Phase::Waiting(Place::Queued),
            cells: cell.map_or_else(Weak::new, |(cells, _)| Arc::downgrade(cells)),
            cell: cell.map_or(0, |(_, index)| index as u32),
        });
        self.by_name.insert(name.clone(), id);
        self.queue.push_back(id, id + 1);
        self.status.awaiting += 1;
        self.assign();
        self.backlog.changed();
        Ok((id, name))
    }

    /// Queues every task of a batch whose tasks share `shared`, under the
    /// names `items` gives them, and hands tasks to the workers that can
    /// take them. With `cells`, returns cells for the tasks, in order. Cost:
    /// O(1) per task, plus one name lookup per task when other tasks are
    /// held (to refuse a name already taken).
    pub fn push_batch(
        &mut self,
        shared: Vec<u8>,
        items: Box<dyn Items>,
        cells: bool,
    ) -> Result<(u64, Option<Arc<Cells>>)> {
        if self.closed {
            return Err(Error::ProfileNotRunning("(terminated)".into()));
        }
        let n = items.len();
        if self.tasks.len() > 0 {
            if let Some(name) = (0..n)
                .map(|i| items.name(i))
                .find(|name| self.find(name).is_some())
            {
                return Err(Error::DuplicateName(name));
            }
        }
        let part = self.next_part;
        self.next_part += 1;
        let first = self.tasks.next_id();
        let batch = Arc::new(Batch {
            part,
            shared: Arc::new(shared),
            items,
            first,
        });
        self.batches.retain(|b| b.strong_count() > 0);
        self.batches.push(Arc::downgrade(&batch));
        self.tasks.reserve(n);
        let cells = cells.then(|| Cells::new(n));
        let weak = cells.as_ref().map_or_else(Weak::new, Arc::downgrade);
        for i in 0..n {
            let id = self.tasks.insert(Task {
                source: Source::Batch(batch.clone()),
                phase: Phase::Waiting(Place::Queued),
                cells: weak.clone(),
                cell: i as u32,
            });
            debug_assert_eq!(id, first + i as u64);
        }
        self.queue.push_back(first, first + n as u64);
        self.status.awaiting += n as u64;
        self.assign();
        self.backlog.changed();
        Ok((first, cells))
    }
}
