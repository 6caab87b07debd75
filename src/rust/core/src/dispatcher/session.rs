//! One worker connection on the dispatcher side: the handshake, then a
//! reader that feeds results into the state and sends whatever the state
//! decides (usually the worker's next task) itself, and a heartbeat timer.

use super::member::{route, Member, Members};
use super::roster::{Ending, Pulse};
use super::shared_text::SharedText;
use super::state::State;
use super::{deliver, Timing};
use crate::incoming::{fill, Incoming, Payload, ARRIVING_MIN};
use crate::protocol::frame::{read_announced, read_head};
use crate::protocol::{auth, read_frame, write_frame, Limits, Link, Message};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{timeout, timeout_at};

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Serves one connection until it ends or its dispatcher shuts down: the
/// handshake (by `deadline`) finds the dispatcher among `members` that
/// issued the worker's credential, and the connection is that dispatcher's
/// from then on. Strangers that fail the handshake are dropped without
/// touching any state beyond a credential lookup.
pub async fn serve<S>(
    stream: S,
    members: Members,
    deadline: tokio::time::Instant,
    handshake_permit: OwnedSemaphorePermit,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (read_half, mut write_half) = tokio::io::split(stream);
    let mut reader = BufReader::with_capacity(64 * 1024, read_half);

    let nonce = auth::nonce();
    let handshake = async {
        write_frame(&mut write_half, &Message::Challenge { nonce }, &[]).await?;
        write_half.flush().await?;
        read_frame(&mut reader, Limits::HANDSHAKE).await
    };
    let hello = match timeout_at(deadline, handshake).await {
        Ok(Ok(Some(frame))) => frame.message,
        _ => return,
    };
    let Message::Hello {
        credential,
        proof,
        pid,
        host,
    } = hello
    else {
        return;
    };
    let Some((
        Member {
            state,
            timing,
            mut shutdown,
            ..
        },
        launched,
    )) = route(&members, &credential, &nonce, &proof)
    else {
        return;
    };
    let link = Arc::new(Link::new(write_half));
    let joined = {
        let mut state = lock(&state);
        let welcome_bytes = state.welcome.clone();
        state
            .join(link.clone(), pid, &host, launched)
            .map(|joined| (joined, welcome_bytes))
    };
    drop(handshake_permit);
    let Some(((worker_id, stream), welcome_bytes)) = joined else {
        return;
    };
    let welcome = Message::Welcome {
        worker: worker_id,
        stream,
        heartbeat_interval_ms: timing.heartbeat_interval.as_millis() as u64,
        heartbeat_timeout_ms: timing.heartbeat_timeout.as_millis() as u64,
    };
    if link.send(&welcome, &welcome_bytes).await.is_err() {
        lock(&state).leave(worker_id, false);
        return;
    }
    let out = {
        let mut state = lock(&state);
        state.ready(worker_id);
        state.take_outgoing()
    };
    deliver(out).await;

    let heartbeat = tokio::spawn(heartbeat_loop(link.clone(), timing));
    let mut shared_text = SharedText::default();
    let mut ending = Ending::ConnectionLost;
    loop {
        let next = tokio::select! {
            head = timeout(timing.heartbeat_timeout, read_head(&mut reader, Limits::AUTHENTICATED)) => head,
            _ = shutdown.changed() => {
                ending = Ending::Terminated;
                break;
            }
        };
        let (message, payload_len) = match next {
            Ok(Ok(Some(head))) => head,
            Err(_) => {
                ending = Ending::MissedHeartbeats(timing.heartbeat_timeout.as_secs_f64());
                break;
            }
            _ => break,
        };
        let payload = match &message {
            Message::Result { id, .. } if payload_len >= ARRIVING_MIN => {
                let incoming = Incoming::new(payload_len);
                lock(&state).arriving(worker_id, *id, &incoming);
                let filled = tokio::select! {
                    filled = fill(&mut reader, incoming.clone(), timing.heartbeat_timeout) => filled,
                    _ = shutdown.changed() => false,
                };
                if !filled {
                    break;
                }
                Payload::Arriving(incoming)
            }
            _ => match timeout(
                timing.heartbeat_timeout,
                read_announced(&mut reader, payload_len),
            )
            .await
            {
                Ok(Ok(bytes)) => Payload::Whole(bytes),
                _ => break,
            },
        };
        match message {
            Message::Result { id, meta } => {
                let meta = shared_text.share(meta);
                let out = {
                    let mut state = lock(&state);
                    state.result(worker_id, id, meta, payload);
                    state.take_outgoing()
                };
                deliver(out).await;
            }
            Message::Released { id } => {
                let out = {
                    let mut state = lock(&state);
                    state.released(worker_id, id);
                    state.take_outgoing()
                };
                deliver(out).await;
            }
            Message::Heartbeat => lock(&state).roster_seen(worker_id),
            Message::Pulse {
                cpu_percent,
                resident_bytes,
            } => lock(&state).pulse(
                worker_id,
                Pulse {
                    cpu_percent,
                    resident_bytes,
                },
            ),
            Message::Bye { reason } => {
                ending = Ending::Goodbye(reason);
                break;
            }
            _ => break,
        }
    }
    heartbeat.abort();
    let out = {
        let mut state = lock(&state);
        state.leave_with(worker_id, ending);
        state.take_outgoing()
    };
    deliver(out).await;
    let last = (*shutdown.borrow()).then_some(Message::Shutdown);
    link.close(last.as_ref()).await;
}

async fn heartbeat_loop(link: Arc<Link>, timing: Timing) {
    let mut ticker = tokio::time::interval(timing.heartbeat_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if link.is_closed() || link.heartbeat(timing.heartbeat_interval).await.is_err() {
            return;
        }
    }
}
