//! Control messages, encoded with bincode in the frame header.

use bincode::{Decode, Encode};
use std::sync::Arc;

/// Why a worker left on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum ExitReason {
    /// The dispatcher closed the connection or asked the worker to stop.
    Normal,
    /// No task arrived within the idle time.
    Idle,
    /// The wall time passed.
    Wall,
    /// The worker completed its maximum number of tasks.
    MaxTasks,
    /// The dispatcher vanished (connection lost or heartbeats missed).
    Lost,
    /// The worker could not reach the dispatcher in time.
    ConnectFailed,
    /// The dispatcher refused the worker's credential.
    Rejected,
    /// The dispatcher's TLS certificate failed the worker's verification.
    Untrusted,
}

impl ExitReason {
    /// A stable numeric code, used as the worker's exit status.
    pub fn code(self) -> i32 {
        match self {
            ExitReason::Normal => 0,
            ExitReason::Idle => 1,
            ExitReason::Wall => 2,
            ExitReason::MaxTasks => 3,
            ExitReason::Lost => 4,
            ExitReason::ConnectFailed => 5,
            ExitReason::Rejected => 6,
            ExitReason::Untrusted => 7,
        }
    }

    /// A short human-readable explanation.
    pub fn describe(self) -> &'static str {
        match self {
            ExitReason::Normal => "the controller closed the connection",
            ExitReason::Idle => "idle time limit reached",
            ExitReason::Wall => "wall time limit reached",
            ExitReason::MaxTasks => "maximum number of tasks reached",
            ExitReason::Lost => "connection to the controller lost",
            ExitReason::ConnectFailed => "could not connect to the controller",
            ExitReason::Rejected => "the controller refused the worker's credential",
            ExitReason::Untrusted => "the controller's TLS certificate was not trusted",
        }
    }
}

/// The seed a task was run with, keeping R's integer/double distinction.
#[derive(Debug, Clone, Copy, PartialEq, Encode, Decode)]
pub enum Seed {
    Missing,
    Integer(i32),
    Double(f64),
}

/// Typed metadata of one task result; the value itself rides as payload.
/// The dispatcher keeps one per stored result, so it is compact: the text
/// that repeats from task to task is an `Arc<str>` that results of one
/// worker share (see `dispatcher::shared_text`), and what most results
/// lack sits behind one pointer.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct ResultMeta {
    pub status: Arc<str>,
    pub code: i32,
    pub command: Option<Arc<str>>,
    /// The error, trace, warnings, seed and algorithm, which most results
    /// lack.
    pub extras: Option<Box<ResultExtras>>,
    /// Seconds of evaluation, `None` for NA.
    pub seconds: Option<f64>,
    pub controller: Option<Arc<str>>,
}

/// What a result has only sometimes: an error, the calls that led to it,
/// warnings, and the seed and random number generator the task was given.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub struct ResultExtras {
    pub error: Option<Box<str>>,
    pub trace: Option<Box<str>>,
    pub warnings: Option<Box<str>>,
    pub seed: Seed,
    pub algorithm: Option<Arc<str>>,
}

impl ResultExtras {
    /// The extras to keep: `None` when there are none.
    pub fn boxed(
        error: Option<Box<str>>,
        trace: Option<Box<str>>,
        warnings: Option<Box<str>>,
        seed: Seed,
        algorithm: Option<Arc<str>>,
    ) -> Option<Box<ResultExtras>> {
        let none = error.is_none()
            && trace.is_none()
            && warnings.is_none()
            && seed == Seed::Missing
            && algorithm.is_none();
        (!none).then(|| {
            Box::new(ResultExtras {
                error,
                trace,
                warnings,
                seed,
                algorithm,
            })
        })
    }
}

impl ResultMeta {
    pub fn error(&self) -> Option<&str> {
        self.extras.as_ref()?.error.as_deref()
    }

    pub fn trace(&self) -> Option<&str> {
        self.extras.as_ref()?.trace.as_deref()
    }

    pub fn warnings(&self) -> Option<&str> {
        self.extras.as_ref()?.warnings.as_deref()
    }

    pub fn seed(&self) -> Seed {
        self.extras
            .as_ref()
            .map_or(Seed::Missing, |extras| extras.seed)
    }

    pub fn algorithm(&self) -> Option<&str> {
        self.extras.as_ref()?.algorithm.as_deref()
    }

    /// Replaces the error, keeping the other extras.
    pub fn set_error(&mut self, error: Box<str>) {
        let mut extras = self.extras.take().map_or(
            ResultExtras {
                error: None,
                trace: None,
                warnings: None,
                seed: Seed::Missing,
                algorithm: None,
            },
            |extras| *extras,
        );
        extras.error = Some(error);
        self.extras = Some(Box::new(extras));
    }
}

/// Every control message of the protocol.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
pub enum Message {
    /// Dispatcher to worker, first frame: prove you hold a credential.
    Challenge { nonce: [u8; 32] },
    /// Worker to dispatcher: credential id, HMAC proof over the nonce, the
    /// worker's process id (so a crash can be traced to its process) and
    /// the name of its host.
    Hello {
        credential: String,
        proof: Vec<u8>,
        pid: u32,
        host: String,
    },
    /// Dispatcher to worker: accepted; the worker's own RNG stream, and
    /// the heartbeat interval and timeout (milliseconds) the dispatcher
    /// keeps, which the worker keeps too. The payload is what the
    /// dispatcher gives every worker before its first task (a controller's
    /// serialization settings), often empty.
    Welcome {
        worker: u64,
        stream: [i32; 7],
        heartbeat_interval_ms: u64,
        heartbeat_timeout_ms: u64,
    },
    /// Dispatcher to worker: run this task. With `part` 0 the payload is
    /// the whole serialized task; otherwise it is the task's own items, to
    /// be joined with the part of that id (sent before in a `Part` frame,
    /// though a frame sent in the background may arrive after the task).
    Task { id: u64, name: String, part: u64 },
    /// Dispatcher to worker: what every task of a batch shares (payload),
    /// sent once per worker before the first task of the batch.
    Part { id: u64 },
    /// Dispatcher to worker: stop the task if it is still running, or drop
    /// it if it is held and not started (the worker then answers
    /// `Released`).
    Cancel { id: u64 },
    /// Dispatcher to worker: give back a held task that has not started,
    /// because another worker is idle; answered by `Released` unless the
    /// task already started.
    Revoke { id: u64 },
    /// Worker to dispatcher: a task it was sent was never started and never
    /// will be on this worker.
    Released { id: u64 },
    /// Worker to dispatcher: a finished task (payload: serialized value).
    Result { id: u64, meta: ResultMeta },
    /// Either direction: still alive.
    Heartbeat,
    /// Worker to dispatcher: leaving; any task sent after its last result
    /// was never started.
    Bye { reason: ExitReason },
    /// Dispatcher to worker: the controller is terminating.
    Shutdown,
    /// Worker to dispatcher, once per heartbeat interval in place of its
    /// heartbeat: its CPU use since the last pulse (percent of one core)
    /// and its resident memory.
    Pulse {
        cpu_percent: f32,
        resident_bytes: u64,
    },
}
