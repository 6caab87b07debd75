//! The worker's connection: dial, handshake, then the session loop that
//! enforces the worker's limits while `reader.rs` reads the frames.

use super::reader::{read_loop, ReadHalf};
use super::{Control, Shared, WorkerConfig};
use crate::metrics::Probe;
use crate::protocol::{read_frame, write_frame, ExitReason, Frame, Limits, Link, Message};
use std::sync::Arc;
use tokio::io::{AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{sleep, sleep_until, timeout, Duration, Instant};

type WriteHalf = Box<dyn AsyncWrite + Send + Unpin>;

async fn dial_tcp(config: &WorkerConfig, deadline: Instant) -> Option<TcpStream> {
    loop {
        if let Ok(Ok(stream)) =
            timeout(Duration::from_secs(5), TcpStream::connect(&config.address)).await
        {
            let _ = stream.set_nodelay(true);
            return Some(stream);
        }
        if Instant::now() >= deadline {
            return None;
        }
        sleep(Duration::from_millis(100)).await;
    }
}

/// Why a TLS handshake failed: the dispatcher's certificate (give up), the
/// dispatcher refusing this worker's certificate, or the connection (retry).
fn tls_failure(error: &std::io::Error) -> Option<ExitReason> {
    match error.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(_) => Some(ExitReason::Untrusted),
        rustls::Error::AlertReceived(_) => Some(ExitReason::Rejected),
        _ => None,
    }
}

/// Dials until connected (and through TLS if configured) or `deadline`
/// passes.
async fn dial(
    config: &WorkerConfig,
    deadline: Instant,
) -> Result<(ReadHalf, WriteHalf), ExitReason> {
    loop {
        let stream = dial_tcp(config, deadline)
            .await
            .ok_or(ExitReason::ConnectFailed)?;
        let Some(tls) = &config.tls else {
            let (read_half, write_half) = stream.into_split();
            return Ok((Box::new(read_half), Box::new(write_half)));
        };
        let handshake = tls.connector.connect(tls.name.clone(), stream);
        match timeout(config.heartbeat_timeout, handshake).await {
            Ok(Ok(stream)) => {
                let (read_half, write_half) = tokio::io::split(stream);
                return Ok((Box::new(read_half), Box::new(write_half)));
            }
            Ok(Err(error)) => {
                if let Some(reason) = tls_failure(&error) {
                    return Err(reason);
                }
            }
            Err(_) => {}
        }
        if Instant::now() >= deadline {
            return Err(ExitReason::ConnectFailed);
        }
        sleep(Duration::from_millis(100)).await;
    }
}

/// Runs one worker session to its end and reports how it ended.
pub(crate) async fn run(
    config: WorkerConfig,
    control: UnboundedReceiver<Control>,
    shared: Arc<Shared>,
) {
    let reason = session(&config, control, &shared).await;
    let mut line = shared.line();
    let busy = line.running.is_some();
    line.leaving = true;
    line.exit = Some(reason);
    shared.nudge(line);
    if busy && matches!(reason, ExitReason::Lost | ExitReason::Normal) {
        // The evaluating thread is inside a task and cannot hear us: end
        // the process, as the dispatcher that wanted the result is gone.
        if let Some(signal) = config.exit_signal {
            crate::os::end_this_process(signal);
        }
    }
}

/// What the dispatcher said when it accepted the worker.
struct Welcomed {
    stream: [i32; 7],
    setup: Vec<u8>,
    /// The dispatcher's heartbeat interval and timeout, which the worker
    /// keeps for the rest of the session.
    heartbeat_interval: Duration,
    heartbeat_timeout: Duration,
}

/// How a handshake ended.
enum Handshake {
    Welcomed(Welcomed),
    /// The connection closed or stayed silent before any challenge, as when
    /// the dispatcher is busy with a flood of handshakes: worth dialling again.
    NoChallenge,
    /// The dispatcher heard the credential and did not accept it.
    Refused,
}

async fn handshake(
    config: &WorkerConfig,
    reader: &mut BufReader<ReadHalf>,
    writer: &mut WriteHalf,
) -> Handshake {
    let challenge = timeout(
        config.heartbeat_timeout,
        read_frame(reader, Limits::HANDSHAKE),
    )
    .await;
    let nonce = match challenge {
        Ok(Ok(Some(Frame {
            message: Message::Challenge { nonce },
            ..
        }))) => nonce,
        // Under mutual TLS, a dispatcher that refuses this worker's
        // certificate says so with an alert once the handshake is over.
        Ok(Err(crate::Error::Io(error))) if tls_failure(&error) == Some(ExitReason::Rejected) => {
            return Handshake::Refused;
        }
        _ => return Handshake::NoChallenge,
    };
    let hello = Message::Hello {
        credential: config.credential.id.clone(),
        proof: config.credential.prove(&nonce),
        pid: std::process::id(),
        host: sysinfo::System::host_name().unwrap_or_default(),
    };
    let welcome = async {
        write_frame(writer, &hello, &[]).await.ok()?;
        writer.flush().await.ok()?;
        read_frame(reader, Limits::AUTHENTICATED)
            .await
            .ok()
            .flatten()
    };
    // A dispatcher that names no usable timing leaves the worker's own.
    let or_own = |ms: u64, own: Duration| {
        Some(Duration::from_millis(ms))
            .filter(|d| !d.is_zero())
            .unwrap_or(own)
    };
    match timeout(config.heartbeat_timeout, welcome).await {
        Ok(Some(Frame {
            message:
                Message::Welcome {
                    stream,
                    heartbeat_interval_ms,
                    heartbeat_timeout_ms,
                    ..
                },
            payload,
        })) => Handshake::Welcomed(Welcomed {
            stream,
            setup: payload,
            heartbeat_interval: or_own(heartbeat_interval_ms, config.heartbeat_interval),
            heartbeat_timeout: or_own(heartbeat_timeout_ms, config.heartbeat_timeout),
        }),
        _ => Handshake::Refused,
    }
}

async fn session(
    config: &WorkerConfig,
    mut control: UnboundedReceiver<Control>,
    shared: &Arc<Shared>,
) -> ExitReason {
    let deadline = Instant::from_std(crate::duration::deadline_in(config.connect_timeout));
    let (reader, write_half, welcomed) = loop {
        let (read_half, mut write_half) = match dial(config, deadline).await {
            Ok(halves) => halves,
            Err(reason) => return reason,
        };
        let mut reader = BufReader::with_capacity(64 * 1024, read_half);
        match handshake(config, &mut reader, &mut write_half).await {
            Handshake::Welcomed(welcomed) => break (reader, write_half, welcomed),
            Handshake::Refused => return ExitReason::Rejected,
            Handshake::NoChallenge if Instant::now() < deadline => {
                sleep(Duration::from_millis(100)).await;
            }
            Handshake::NoChallenge => return ExitReason::ConnectFailed,
        }
    };
    let link = Arc::new(Link::new(write_half));
    let _ = shared.link.set(link.clone());
    {
        let mut line = shared.line();
        line.ready = Some((welcomed.stream, welcomed.setup));
        shared.nudge(line);
    }
    let heartbeat_interval = welcomed.heartbeat_interval;
    let reader_task = tokio::spawn(read_loop(
        reader,
        welcomed.heartbeat_timeout,
        shared.clone(),
    ));

    let far = Instant::now() + Duration::from_secs(86_400 * 365);
    let deadline =
        |d: Option<Duration>, from: Instant| d.map_or(far, |d| from.checked_add(d).unwrap_or(far));
    let mut timers_from = (config.timers_after == 0).then(Instant::now);
    // The idle limit is checked when it could first have passed and then
    // again from what the line says, so results cost the session nothing.
    let mut idle_at = timers_from.map_or(far, |from| deadline(config.idle, from));
    let mut wall_at = timers_from.map_or(far, |from| deadline(config.wall, from));
    let mut ticker = tokio::time::interval(heartbeat_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut probe = Probe::new();
    let reason = loop {
        tokio::select! {
            message = control.recv() => match message {
                Some(Control::TimersStarted) if timers_from.is_none() => {
                    let now = Instant::now();
                    timers_from = Some(now);
                    idle_at = deadline(config.idle, now);
                    wall_at = deadline(config.wall, now);
                }
                Some(Control::TimersStarted) => {}
                Some(Control::Leave(reason)) => break reason,
                Some(Control::Shutdown) => break ExitReason::Normal,
                Some(Control::Lost) | None => break ExitReason::Lost,
            },
            _ = sleep_until(idle_at) => {
                let mut line = shared.line();
                let busy = line.running.is_some() || !line.queue.is_empty();
                let last_done = Instant::from_std(line.last_done);
                let since = last_done.max(timers_from.unwrap_or(last_done));
                let due = deadline(config.idle, since);
                if !busy && due <= Instant::now() && line.leave_if_idle() {
                    break ExitReason::Idle;
                }
                // Busy or used since: a task that ends later makes the
                // worker idle no sooner than one idle period from now.
                idle_at = if busy { deadline(config.idle, Instant::now()) } else { due };
            },
            _ = sleep_until(wall_at) => {
                wall_at = far;
                let mut line = shared.line();
                line.wall_passed = true;
                if line.leave_between_tasks() {
                    break ExitReason::Wall;
                }
            },
            _ = ticker.tick() => {
                if link.send(&pulse(&mut probe), &[]).await.is_err() {
                    break ExitReason::Lost;
                }
            }
        }
    };
    if matches!(
        reason,
        ExitReason::Idle | ExitReason::Wall | ExitReason::MaxTasks
    ) {
        link.close(Some(&Message::Bye { reason })).await;
    } else {
        link.close(None).await;
    }
    reader_task.abort();
    reason
}

/// The worker's resource use now, as a pulse for the dispatcher.
fn pulse(probe: &mut Probe) -> Message {
    let sample = probe.sample(None);
    Message::Pulse {
        cpu_percent: sample.as_ref().map_or(0.0, |s| s.core_percent),
        resident_bytes: sample.as_ref().map_or(0, |s| s.resident_bytes),
    }
}
