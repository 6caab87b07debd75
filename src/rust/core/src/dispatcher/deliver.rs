//! Writing the frames that state operations produce, once the state's lock
//! is released: small task frames from the thread that produced them,
//! consecutive ones for one worker in one write, anything large in the
//! background.

use super::Delivery;
use crate::protocol::Message;
use crate::runtime::runtime;
use crate::Result;
use std::sync::Arc;
use std::time::Duration;

/// Frames up to this size are written by the thread that produced them;
/// larger ones are handed to a background task so no caller waits on them.
const DIRECT_WRITE_MAX: usize = 1 << 20;

/// How long R's thread may spend writing a small frame before the
/// connection counts as broken (a healthy worker always reads promptly).
const DIRECT_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

fn is_direct(delivery: &Delivery) -> bool {
    matches!(delivery.message, Message::Task { .. })
        && delivery.payload.len() + delivery.part.as_ref().map_or(0, |(_, p)| p.len())
            <= DIRECT_WRITE_MAX
}

/// Writes deliveries to one link, each's batch part first, and flushes
/// once: the tasks a worker is refilled with leave in one write.
async fn write(run: &[Delivery]) -> Result<()> {
    let Some(first) = run.first() else {
        return Ok(());
    };
    let parts: Vec<Message> = run
        .iter()
        .map(|d| Message::Part {
            id: d.part.as_ref().map_or(0, |(id, _)| *id),
        })
        .collect();
    let mut frames: Vec<(&Message, &[u8])> = Vec::with_capacity(2 * run.len());
    for (delivery, part) in run.iter().zip(&parts) {
        if let Some((_, bytes)) = &delivery.part {
            frames.push((part, bytes));
        }
        frames.push((&delivery.message, &delivery.payload));
    }
    first.link.send_all(&frames).await
}

async fn send_or_close(run: Vec<Delivery>) {
    if write(&run).await.is_err() {
        if let Some(delivery) = run.first() {
            delivery.link.close(None).await;
        }
    }
}

/// Splits deliveries into runs to write together: consecutive small tasks
/// for the same worker form one run; anything else is a run of its own,
/// written in the background (`false`).
fn runs(deliveries: Vec<Delivery>) -> Vec<(bool, Vec<Delivery>)> {
    let mut out: Vec<(bool, Vec<Delivery>)> = Vec::new();
    for delivery in deliveries {
        let direct = is_direct(&delivery);
        match out.last_mut() {
            Some((true, run))
                if direct
                    && run
                        .last()
                        .is_some_and(|d| Arc::ptr_eq(&d.link, &delivery.link)) =>
            {
                run.push(delivery)
            }
            _ => out.push((direct, vec![delivery])),
        }
    }
    out
}

/// Sends deliveries from async code: small tasks in place, the rest in
/// background tasks.
pub(crate) async fn deliver(deliveries: Vec<Delivery>) {
    for (direct, run) in runs(deliveries) {
        if direct {
            send_or_close(run).await;
        } else {
            tokio::spawn(send_or_close(run));
        }
    }
}

/// Sends deliveries from a thread outside the runtime (R's): small tasks
/// are written right here, which saves a thread hand-off on every task.
pub(super) fn deliver_blocking(deliveries: Vec<Delivery>) {
    let Ok(rt) = runtime() else {
        return;
    };
    let _held = crate::os::hold_broken_pipe_signal();
    for (direct, run) in runs(deliveries) {
        if direct {
            let sent = rt
                .block_on(async { tokio::time::timeout(DIRECT_WRITE_TIMEOUT, write(&run)).await });
            if !matches!(sent, Ok(Ok(()))) {
                let link = run[0].link.clone();
                rt.spawn(async move { link.close(None).await });
            }
        } else {
            rt.spawn(send_or_close(run));
        }
    }
}
