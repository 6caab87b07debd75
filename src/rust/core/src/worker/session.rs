//! The worker's connection: dial, handshake, then the reader and the
//! session loop that enforces the worker's limits.

use super::{Control, Incoming, Payload, Shared, Waiting, WorkerConfig};
use crate::protocol::frame::{read_announced, read_exactly, read_head};
use crate::protocol::{read_frame, write_frame, ExitReason, Frame, Limits, Link, Message};
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{sleep, sleep_until, timeout, Duration, Instant};

type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;
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
    shared.nudge(&line);
    drop(line);
    if busy && matches!(reason, ExitReason::Lost | ExitReason::Normal) {
        // The evaluating thread is inside a task and cannot hear us: end
        // the process, as the dispatcher that wanted the result is gone.
        if let Some(signal) = config.exit_signal {
            unsafe {
                libc::kill(libc::getpid(), signal);
            }
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
        shared.nudge(&line);
    }
}

/// Tasks at least this large join the line before their bytes arrive.
const ARRIVING_MIN: usize = 4 << 20;
/// The pieces in which such a task's bytes are read.
const ARRIVING_CHUNK: usize = 1 << 20;

/// Marks an arriving task's bytes broken unless all of them were read, so
/// the evaluating thread never waits for bytes that cannot come, even when
/// the reader stops.
struct Filling(Arc<Incoming>);

impl Drop for Filling {
    fn drop(&mut self) {
        self.0.fail();
    }
}

/// Reads an arriving task's bytes in pieces, each within the heartbeat
/// timeout.
async fn fill(
    reader: &mut BufReader<ReadHalf>,
    incoming: Arc<Incoming>,
    patience: Duration,
) -> bool {
    let filling = Filling(incoming);
    let mut left = filling.0.len();
    while left > 0 {
        let n = left.min(ARRIVING_CHUNK);
        match timeout(patience, read_exactly(reader, n)).await {
            Ok(Ok(chunk)) => filling.0.push(chunk),
            _ => return false,
        }
        left -= n;
    }
    true
}

/// Reads frames: tasks join the line, cancellations and revocations act
/// on it, everything else goes to the session loop.
async fn read_loop(
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

async fn session(
    config: &WorkerConfig,
    mut control: UnboundedReceiver<Control>,
    shared: &Arc<Shared>,
) -> ExitReason {
    let deadline = Instant::now() + config.connect_timeout;
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
        shared.nudge(&line);
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
                if link.heartbeat(heartbeat_interval).await.is_err() {
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
