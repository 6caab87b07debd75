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

/// Takes one piece of a payload that is written as it is produced; returns
/// false once writing failed.
pub type Put<'a> = dyn FnMut(&[u8]) -> bool + 'a;

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

    /// Writes one frame from a thread outside the runtime, its payload of
    /// `len` bytes produced in pieces as it is written, so that it is never
    /// held whole. `produce` hands each piece to the function it is given
    /// (which returns false once writing failed) and returns whether it
    /// produced them all. Anything but exactly `len` bytes would break the
    /// stream, so the connection is then closed.
    pub fn send_produced(
        &self,
        runtime: &tokio::runtime::Runtime,
        message: &Message,
        len: usize,
        produce: impl FnOnce(&mut Put) -> bool,
    ) -> Result<()> {
        let mut writer = self.writer.blocking_lock();
        if self.closed.load(Ordering::SeqCst) {
            return Err(crate::Error::Protocol("the connection is closed".into()));
        }
        let prefix = super::frame::encode_prefix(message, len)?;
        let _held = crate::os::hold_broken_pipe_signal();
        let mut written = 0usize;
        let mut failed = runtime.block_on(writer.write_all(&prefix)).is_err();
        let mut put = |piece: &[u8]| {
            if failed || written + piece.len() > len {
                failed = true;
            } else if runtime.block_on(writer.write_all(piece)).is_ok() {
                written += piece.len();
            } else {
                failed = true;
            }
            !failed
        };
        let produced = produce(&mut put);
        let complete = produced && !failed && written == len;
        let sent = complete && runtime.block_on(writer.flush()).is_ok();
        self.last_write_micros
            .store(epoch().elapsed().as_micros() as u64, Ordering::Relaxed);
        if sent {
            return Ok(());
        }
        self.closed.store(true, Ordering::SeqCst);
        let _ = runtime.block_on(writer.shutdown());
        Err(crate::Error::Protocol(
            "a payload could not be written whole".into(),
        ))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{read_frame, Limits};

    fn produce_pieces(pieces: Vec<Vec<u8>>) -> impl FnOnce(&mut Put) -> bool {
        move |put| pieces.iter().all(|piece| put(piece))
    }

    #[test]
    fn a_produced_payload_arrives_as_one_frame() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (ours, mut theirs) = tokio::io::duplex(1 << 16);
        let link = Link::new(ours);
        let reader =
            runtime.spawn(async move { read_frame(&mut theirs, Limits::AUTHENTICATED).await });
        let pieces: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 100_000]).collect();
        let message = Message::Released { id: 3 };
        link.send_produced(&runtime, &message, 500_000, produce_pieces(pieces.clone()))
            .unwrap();
        let frame = runtime.block_on(reader).unwrap().unwrap().unwrap();
        assert_eq!(frame.message, message);
        assert_eq!(frame.payload, pieces.concat());
        assert!(!link.is_closed());
    }

    #[test]
    fn a_payload_of_the_wrong_length_closes_the_link() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        for (announced, pieces) in [(10, vec![vec![1u8; 11]]), (10, vec![vec![1u8; 9]])] {
            let (ours, _theirs) = tokio::io::duplex(1 << 16);
            let link = Link::new(ours);
            let message = Message::Heartbeat;
            assert!(link
                .send_produced(&runtime, &message, announced, produce_pieces(pieces))
                .is_err());
            assert!(link.is_closed());
        }
    }
}
