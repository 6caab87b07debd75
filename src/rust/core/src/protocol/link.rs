//! The sending half of a connection, shared by whoever has something to
//! send: the thread that pushed a task, the task that read a result, the
//! heartbeat timer. Writing from where the frame originates saves a thread
//! hand-off per message, which is most of a task's round trip on loopback.

use super::{write_frame, Message};
use crate::Result;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::Mutex;

type Writer = BufWriter<Box<dyn AsyncWrite + Send + Unpin>>;

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// A connection's write half behind an async lock.
pub struct Link {
    writer: Mutex<Writer>,
    last_write_micros: AtomicU64,
    closed: AtomicBool,
}

impl Link {
    /// Wraps a write half.
    pub fn new<W: AsyncWrite + Send + Unpin + 'static>(writer: W) -> Link {
        Link {
            writer: Mutex::new(BufWriter::with_capacity(64 * 1024, Box::new(writer))),
            last_write_micros: AtomicU64::new(epoch().elapsed().as_micros() as u64),
            closed: AtomicBool::new(false),
        }
    }

    /// Writes and flushes one frame.
    pub async fn send(&self, message: &Message, payload: &[u8]) -> Result<()> {
        self.send_all(&[(message, payload)]).await
    }

    /// Writes several frames and flushes once, so they leave in one write.
    pub async fn send_all(&self, frames: &[(&Message, &[u8])]) -> Result<()> {
        let mut writer = self.writer.lock().await;
        if self.closed.load(Ordering::SeqCst) {
            return Err(crate::Error::Protocol("the connection is closed".into()));
        }
        let sent = async {
            for (message, payload) in frames {
                write_frame(&mut *writer, message, payload).await?;
            }
            writer.flush().await?;
            Ok::<(), crate::Error>(())
        }
        .await;
        if sent.is_err() {
            self.closed.store(true, Ordering::SeqCst);
        }
        self.last_write_micros
            .store(epoch().elapsed().as_micros() as u64, Ordering::Relaxed);
        sent
    }

    /// Sends a heartbeat unless something was written within `interval`.
    pub async fn heartbeat(&self, interval: Duration) -> Result<()> {
        let last = Duration::from_micros(self.last_write_micros.load(Ordering::Relaxed));
        if epoch().elapsed().saturating_sub(last) >= interval {
            self.send(&Message::Heartbeat, &[]).await?;
        }
        Ok(())
    }

    /// Optionally sends a last message, then closes the write half.
    pub async fn close(&self, last: Option<&Message>) {
        let mut writer = self.writer.lock().await;
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(message) = last {
            let _ = write_frame(&mut *writer, message, &[]).await;
        }
        let _ = writer.flush().await;
        let _ = writer.shutdown().await;
    }

    /// Whether the link was closed or failed.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}
