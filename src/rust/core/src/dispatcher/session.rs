//! One worker connection on the dispatcher side: the handshake, then a
//! reader that feeds results into the state and a writer that drains the
//! worker's outbox and sends heartbeats.

use super::state::{Outbound, State};
use super::Timing;
use crate::protocol::{auth, read_frame, write_frame, Limits, Message};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::sync::{watch, OwnedSemaphorePermit};
use tokio::time::{timeout, Duration};

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Serves one connection until it ends or the dispatcher shuts down.
/// Strangers that fail the handshake are dropped without touching the state
/// beyond a credential lookup.
pub async fn serve<S>(
    stream: S,
    state: Arc<Mutex<State>>,
    timing: Timing,
    mut shutdown: watch::Receiver<bool>,
    handshake_permit: OwnedSemaphorePermit,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (read_half, write_half) = tokio::io::split(stream);
    let mut reader = BufReader::with_capacity(64 * 1024, read_half);
    let mut writer = BufWriter::with_capacity(64 * 1024, write_half);

    let nonce = auth::nonce();
    let handshake = async {
        write_frame(&mut writer, &Message::Challenge { nonce }, &[]).await?;
        writer.flush().await?;
        read_frame(&mut reader, Limits::HANDSHAKE).await
    };
    let hello = match timeout(timing.handshake_timeout, handshake).await {
        Ok(Ok(Some(frame))) => frame.message,
        _ => return,
    };
    let Message::Hello { credential, proof } = hello else {
        return;
    };
    let (outbox, inbox) = unbounded_channel();
    let joined = {
        let mut state = lock(&state);
        if state.authenticate(&credential, &nonce, &proof) {
            state.join(outbox)
        } else {
            None
        }
    };
    drop(handshake_permit);
    let Some((worker_id, stream)) = joined else {
        return;
    };
    let welcome = Message::Welcome {
        worker: worker_id,
        stream,
    };
    let sent = async {
        write_frame(&mut writer, &welcome, &[]).await?;
        writer.flush().await.map_err(crate::Error::from)
    };
    if sent.await.is_err() {
        lock(&state).leave(worker_id, false);
        return;
    }
    lock(&state).ready(worker_id);

    let writer_task = tokio::spawn(write_loop(writer, inbox, timing));
    let mut goodbye = false;
    loop {
        let next = tokio::select! {
            frame = timeout(timing.heartbeat_timeout, read_frame(&mut reader, Limits::AUTHENTICATED)) => frame,
            _ = shutdown.changed() => break,
        };
        let frame = match next {
            Ok(Ok(Some(frame))) => frame,
            _ => break,
        };
        match frame.message {
            Message::Result { id, meta } => lock(&state).result(worker_id, id, meta, frame.payload),
            Message::Heartbeat => {}
            Message::Bye { .. } => {
                goodbye = true;
                break;
            }
            _ => break,
        }
    }
    lock(&state).leave(worker_id, goodbye);
    // Leaving dropped the state's sender; the writer drains and exits.
    let _ = timeout(Duration::from_secs(5), writer_task).await;
}

async fn write_loop<W: AsyncWrite + Unpin>(
    mut writer: BufWriter<W>,
    mut inbox: UnboundedReceiver<Outbound>,
    timing: Timing,
) {
    let mut ticker = tokio::time::interval(timing.heartbeat_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_write = Instant::now();
    loop {
        tokio::select! {
            item = inbox.recv() => {
                let mut item = item;
                // Write everything already queued, then flush once.
                loop {
                    match item {
                        Some(Outbound::Send(message, payload)) => {
                            if write_frame(&mut writer, &message, &payload).await.is_err() {
                                return;
                            }
                        }
                        Some(Outbound::Close) => {
                            let _ = write_frame(&mut writer, &Message::Shutdown, &[]).await;
                            let _ = writer.flush().await;
                            let _ = writer.shutdown().await;
                            return;
                        }
                        None => {
                            let _ = writer.flush().await;
                            let _ = writer.shutdown().await;
                            return;
                        }
                    }
                    match inbox.try_recv() {
                        Ok(next) => item = Some(next),
                        Err(_) => break,
                    }
                }
                if writer.flush().await.is_err() {
                    return;
                }
                last_write = Instant::now();
            }
            _ = ticker.tick() => {
                if last_write.elapsed() >= timing.heartbeat_interval {
                    let sent = async {
                        write_frame(&mut writer, &Message::Heartbeat, &[]).await?;
                        writer.flush().await.map_err(crate::Error::from)
                    };
                    if sent.await.is_err() {
                        return;
                    }
                    last_write = Instant::now();
                }
            }
        }
    }
}
