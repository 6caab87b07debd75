//! The worker's connection: dial, handshake, then the event loop.

use super::{Event, Outgoing, WorkerConfig};
use crate::protocol::{read_frame, write_frame, ExitReason, Frame, Limits, Message};
use crate::Result;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use tokio::io::{AsyncWrite, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpStream;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::time::{sleep, sleep_until, timeout, Duration, Instant};

async fn dial(config: &WorkerConfig) -> Option<TcpStream> {
    let deadline = Instant::now() + config.connect_timeout;
    loop {
        if let Ok(Ok(stream)) = timeout(Duration::from_secs(5), TcpStream::connect(&config.address)).await {
            let _ = stream.set_nodelay(true);
            return Some(stream);
        }
        if Instant::now() >= deadline {
            return None;
        }
        sleep(Duration::from_millis(100)).await;
    }
}

async fn send<W: AsyncWrite + Unpin>(writer: &mut W, message: &Message, payload: &[u8]) -> Result<()> {
    write_frame(writer, message, payload).await?;
    writer.flush().await?;
    Ok(())
}

/// Runs one worker session to its end and reports how it ended.
pub(crate) async fn run(
    config: WorkerConfig,
    events: Sender<Event>,
    results: UnboundedReceiver<Outgoing>,
    busy: Arc<AtomicBool>,
) {
    let reason = session(&config, &events, results, &busy).await;
    if matches!(reason, ExitReason::Lost | ExitReason::Normal) && busy.load(Ordering::SeqCst) {
        // The evaluating thread is inside a task and cannot hear us: end
        // the process, as the dispatcher that wanted the result is gone.
        if let Some(signal) = config.exit_signal {
            unsafe {
                libc::kill(libc::getpid(), signal);
            }
        }
    }
    let _ = events.send(Event::Exit(reason));
}

async fn session(
    config: &WorkerConfig,
    events: &Sender<Event>,
    mut results: UnboundedReceiver<Outgoing>,
    busy: &AtomicBool,
) -> ExitReason {
    let Some(stream) = dial(config).await else {
        return ExitReason::ConnectFailed;
    };
    let (read_half, write_half) = stream.into_split();
    let mut reader = BufReader::with_capacity(64 * 1024, read_half);
    let mut writer = BufWriter::with_capacity(64 * 1024, write_half);

    let handshake = async {
        let Some(Frame { message: Message::Challenge { nonce }, .. }) =
            read_frame(&mut reader, Limits::HANDSHAKE).await.ok().flatten()
        else {
            return None;
        };
        let hello = Message::Hello {
            credential: config.credential.id.clone(),
            proof: config.credential.prove(&nonce),
        };
        send(&mut writer, &hello, &[]).await.ok()?;
        match read_frame(&mut reader, Limits::AUTHENTICATED).await.ok().flatten() {
            Some(Frame { message: Message::Welcome { stream, .. }, .. }) => Some(stream),
            _ => None,
        }
    };
    let Ok(Some(stream)) = timeout(config.heartbeat_timeout, handshake).await else {
        return ExitReason::Rejected;
    };
    if events.send(Event::Ready { stream }).is_err() {
        return ExitReason::Normal;
    }

    // A dedicated reader keeps frame reads whole: select! below only waits
    // on a channel, which is safe to cancel.
    let (frames_tx, mut frames) = unbounded_channel();
    let heartbeat_timeout = config.heartbeat_timeout;
    let reader_task = tokio::spawn(async move {
        while let Ok(Ok(Some(frame))) =
            timeout(heartbeat_timeout, read_frame(&mut reader, Limits::AUTHENTICATED)).await
        {
            if frames_tx.send(frame).is_err() {
                return;
            }
        }
    });

    let far = Instant::now() + Duration::from_secs(86_400 * 365);
    let deadline = |d: Option<Duration>, from: Instant| d.map_or(far, |d| from.checked_add(d).unwrap_or(far));
    let mut current: Option<u64> = None;
    let mut done: u64 = 0;
    let mut timers_from = (config.timers_after == 0).then(Instant::now);
    let mut last_done = Instant::now();
    let mut last_write = Instant::now();
    let mut ticker = tokio::time::interval(config.heartbeat_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    let reason = loop {
        let idle_at = match (current, timers_from) {
            (None, Some(from)) => deadline(config.idle, from.max(last_done)),
            _ => far,
        };
        let wall_at = match timers_from {
            Some(from) => deadline(config.wall, from),
            None => far,
        };
        tokio::select! {
            frame = frames.recv() => match frame.map(|f| (f.message, f.payload)) {
                None => break ExitReason::Lost,
                Some((Message::Task { id, name }, payload)) => {
                    if current.is_some() {
                        break ExitReason::Lost;
                    }
                    current = Some(id);
                    busy.store(true, Ordering::SeqCst);
                    if events.send(Event::Task { id, name, payload }).is_err() {
                        break ExitReason::Normal;
                    }
                }
                Some((Message::Shutdown, _)) => break ExitReason::Normal,
                Some((Message::Heartbeat | Message::Cancel { .. }, _)) => {}
                Some(_) => break ExitReason::Lost,
            },
            outgoing = results.recv() => {
                let Some(Outgoing { id, meta, payload }) = outgoing else {
                    break ExitReason::Normal;
                };
                if current != Some(id) {
                    continue;
                }
                if send(&mut writer, &Message::Result { id, meta }, &payload).await.is_err() {
                    break ExitReason::Lost;
                }
                last_write = Instant::now();
                current = None;
                done += 1;
                last_done = Instant::now();
                if timers_from.is_none() && done >= config.timers_after {
                    timers_from = Some(Instant::now());
                }
                if config.max_tasks.is_some_and(|max| done >= max) {
                    break ExitReason::MaxTasks;
                }
                if Instant::now() >= wall_at {
                    break ExitReason::Wall;
                }
            },
            _ = sleep_until(idle_at) => break ExitReason::Idle,
            _ = sleep_until(wall_at), if current.is_none() => break ExitReason::Wall,
            _ = ticker.tick() => {
                if last_write.elapsed() >= config.heartbeat_interval {
                    if send(&mut writer, &Message::Heartbeat, &[]).await.is_err() {
                        break ExitReason::Lost;
                    }
                    last_write = Instant::now();
                }
            }
        }
    };
    if matches!(reason, ExitReason::Idle | ExitReason::Wall | ExitReason::MaxTasks) {
        let _ = send(&mut writer, &Message::Bye { reason }, &[]).await;
    }
    let _ = writer.shutdown().await;
    reader_task.abort();
    reason
}
