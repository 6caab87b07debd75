//! The worker's reading side of its connection: frames from the
//! dispatcher become tasks in the line (large ones while their bytes still
//! arrive, tasks of a batch once their part is there), and cancellations,
//! revocations and the end of the session act on it.

use super::{Control, Incoming, Payload, Shared, Waiting};
use crate::incoming::{fill, ARRIVING_MIN};
use crate::protocol::frame::{read_announced, read_head};
use crate::protocol::{Limits, Message};
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::io::{AsyncRead, BufReader};
use tokio::time::{timeout, Duration};

/// The reading half of the connection to the dispatcher, TCP or TLS.
pub(super) type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;

/// Takes a task out of the line if it has not started, and says so: the
/// caller then tells the dispatcher it was released. A cancelled task that
/// already runs is interrupted instead (with `interrupt`).
fn withdraw(shared: &Shared, id: u64, interrupt: bool) -> bool {
    let mut line = shared.line();
    if interrupt && line.running == Some(id) {
        shared.interrupt();
        return false;
    }
    match line.queue.iter().position(|t| t.id == id) {
        Some(position) => line.queue.remove(position).is_some(),
        None => false,
    }
}

/// How many batch parts a worker keeps. The dispatcher sends a part again
/// whenever the last one it sent this worker differs, so only parts whose
/// frames were overtaken by later ones (at most the two tasks a worker
/// holds) need keeping beyond the newest.
const PARTS_KEPT: usize = 4;

/// The batch parts a worker received, and the tasks whose part has not
/// arrived yet (a large part is written in the background, so the next
/// task of its batch can overtake it).
#[derive(Default)]
struct Parts {
    kept: VecDeque<(u64, Arc<Vec<u8>>)>,
    pending: Vec<(u64, Waiting)>,
}

impl Parts {
    fn get(&self, id: u64) -> Option<Arc<Vec<u8>>> {
        self.kept
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, p)| p.clone())
    }

    /// Keeps a part; returns the tasks that were waiting for it.
    fn add(&mut self, id: u64, bytes: Vec<u8>) -> Vec<Waiting> {
        let bytes = Arc::new(bytes);
        self.kept.push_back((id, bytes.clone()));
        while self.kept.len() > PARTS_KEPT {
            self.kept.pop_front();
        }
        let (ready, pending): (Vec<_>, Vec<_>) =
            self.pending.drain(..).partition(|(part, _)| *part == id);
        self.pending = pending;
        ready
            .into_iter()
            .map(|(_, mut task)| {
                task.part = Some((id, bytes.clone()));
                task
            })
            .collect()
    }

    /// Takes a task waiting for its part out, if it is one.
    fn withdraw(&mut self, id: u64) -> bool {
        let before = self.pending.len();
        self.pending.retain(|(_, task)| task.id != id);
        self.pending.len() < before
    }
}

fn enqueue(shared: &Shared, tasks: impl IntoIterator<Item = Waiting>) {
    let mut line = shared.line();
    // A worker that is leaving starts nothing; its goodbye tells the
    // dispatcher to queue the task again.
    if !line.leaving {
        line.queue.extend(tasks);
        shared.nudge(line);
    }
}

/// Reads frames: tasks join the line, cancellations and revocations act
/// on it, everything else goes to the session loop.
pub(super) async fn read_loop(
    mut reader: BufReader<ReadHalf>,
    heartbeat_timeout: Duration,
    shared: Arc<Shared>,
) {
    let mut parts = Parts::default();
    let end = loop {
        let (message, payload_len) = match timeout(
            heartbeat_timeout,
            read_head(&mut reader, Limits::AUTHENTICATED),
        )
        .await
        {
            Ok(Ok(Some(head))) => head,
            _ => break Control::Lost,
        };
        if let Message::Task { id, name, part: 0 } = &message {
            if payload_len >= ARRIVING_MIN {
                let incoming = Incoming::new(payload_len);
                let task = Waiting {
                    id: *id,
                    name: name.clone(),
                    payload: Payload::Arriving(incoming.clone()),
                    part: None,
                };
                enqueue(&shared, [task]);
                if !fill(&mut reader, incoming, heartbeat_timeout).await {
                    break Control::Lost;
                }
                continue;
            }
        }
        let payload =
            match timeout(heartbeat_timeout, read_announced(&mut reader, payload_len)).await {
                Ok(Ok(payload)) => payload,
                _ => break Control::Lost,
            };
        match message {
            Message::Task { id, name, part } => {
                let mut task = Waiting {
                    id,
                    name,
                    payload: Payload::Whole(payload),
                    part: None,
                };
                if part == 0 {
                    enqueue(&shared, [task]);
                } else if let Some(bytes) = parts.get(part) {
                    task.part = Some((part, bytes));
                    enqueue(&shared, [task]);
                } else {
                    parts.pending.push((part, task));
                }
            }
            Message::Part { id } => {
                let ready = parts.add(id, payload);
                if !ready.is_empty() {
                    enqueue(&shared, ready);
                }
            }
            // A cancelled task that runs is interrupted the way Ctrl-C would,
            // so the worker is free for the next task; one that waits in the
            // line, or one the dispatcher wants back for another worker, is
            // released.
            Message::Cancel { id } | Message::Revoke { id } => {
                let cancel = matches!(message, Message::Cancel { .. });
                if parts.withdraw(id) || withdraw(&shared, id, cancel) {
                    if let Some(link) = shared.link.get() {
                        if link.send(&Message::Released { id }, &[]).await.is_err() {
                            break Control::Lost;
                        }
                    }
                }
            }
            Message::Shutdown => break Control::Shutdown,
            Message::Heartbeat => {}
            _ => break Control::Lost,
        }
    };
    let _ = shared.control.send(end);
}

#[cfg(test)]
mod tests {
    use super::{Parts, Payload, Waiting, PARTS_KEPT};

    fn task(id: u64) -> Waiting {
        Waiting {
            id,
            name: format!("t{id}"),
            payload: Payload::Whole(vec![id as u8]),
            part: None,
        }
    }

    #[test]
    fn a_task_that_overtook_its_part_waits_for_it() {
        let mut parts = Parts::default();
        parts.pending.push((7, task(1)));
        parts.pending.push((8, task(2)));
        parts.pending.push((7, task(3)));
        assert!(parts.withdraw(3), "a pending task can be released");
        assert!(!parts.withdraw(3));
        let ready = parts.add(7, vec![1, 2]);
        assert_eq!(ready.iter().map(|t| t.id).collect::<Vec<_>>(), vec![1]);
        assert_eq!(
            ready[0].part.as_ref().map(|(id, p)| (*id, p.to_vec())),
            Some((7, vec![1, 2]))
        );
        assert_eq!(
            parts.pending.len(),
            1,
            "the task of another part still waits"
        );
        assert_eq!(parts.get(7).map(|p| p.to_vec()), Some(vec![1, 2]));
    }

    #[test]
    fn only_the_newest_parts_are_kept() {
        let mut parts = Parts::default();
        for id in 1..=(PARTS_KEPT as u64 + 2) {
            parts.add(id, vec![id as u8]);
        }
        assert!(parts.get(1).is_none() && parts.get(2).is_none());
        assert!((3..=PARTS_KEPT as u64 + 2).all(|id| parts.get(id).is_some()));
    }
}
