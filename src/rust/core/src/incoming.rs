//! Bytes that are still arriving.
//!
//! A large frame's payload is handed on as soon as its header is read, and
//! the thread that uses it reads its bytes while the rest arrive: a worker
//! unserializing a 100 MB task, or the client a 100 MB result, then
//! overlaps with receiving it instead of following it. Chunks stay until
//! the payload is dropped, so a reader that gives up can start again from
//! the first byte.

use crate::protocol::frame::read_exactly;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::AsyncRead;
use tokio::time::timeout;

/// Payloads at least this large are handed on before their bytes arrive.
pub const ARRIVING_MIN: usize = 4 << 20;
/// The pieces in which such a payload's bytes are read.
const ARRIVING_CHUNK: usize = 1 << 20;

/// A task's bytes, whole or arriving.
#[derive(Debug)]
pub enum Payload {
    Whole(Vec<u8>),
    Arriving(Arc<Incoming>),
}

impl From<Vec<u8>> for Payload {
    fn from(bytes: Vec<u8>) -> Payload {
        Payload::Whole(bytes)
    }
}

/// Whole payloads are equal by their bytes, arriving ones only to
/// themselves.
impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        match (self, other) {
            (Payload::Whole(a), Payload::Whole(b)) => a == b,
            (Payload::Arriving(a), Payload::Arriving(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Payload {
    /// The number of bytes, including those still to arrive.
    pub fn len(&self) -> usize {
        match self {
            Payload::Whole(bytes) => bytes.len(),
            Payload::Arriving(incoming) => incoming.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Payload {
    /// A copy of all the bytes, once they have arrived.
    pub fn to_vec(&self) -> Result<Vec<u8>, Broken> {
        match self {
            Payload::Whole(bytes) => Ok(bytes.clone()),
            Payload::Arriving(incoming) => {
                let mut bytes = vec![0u8; incoming.len()];
                Cursor::new(incoming).copy_to(&mut bytes)?;
                Ok(bytes)
            }
        }
    }

    /// All the bytes in one buffer, once they have arrived.
    pub fn into_vec(self) -> Result<Vec<u8>, Broken> {
        match self {
            Payload::Whole(bytes) => Ok(bytes),
            arriving => arriving.to_vec(),
        }
    }

    /// Frees the bytes, in the background when they are large.
    pub fn discard(self) {
        match self {
            Payload::Whole(bytes) => crate::discard::discard_bytes(bytes),
            Payload::Arriving(incoming) => {
                let len = incoming.len();
                crate::discard::discard(incoming, len);
            }
        }
    }
}

/// The connection ended before every byte arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Broken;

#[derive(Debug, Default)]
struct Received {
    chunks: Vec<Arc<Vec<u8>>>,
    bytes: usize,
    broken: bool,
}

/// Bytes announced by a frame header, filled in by the connection's reader.
#[derive(Debug)]
pub struct Incoming {
    len: usize,
    received: Mutex<Received>,
    arrived: Condvar,
}

impl Incoming {
    pub(crate) fn new(len: usize) -> Arc<Incoming> {
        Arc::new(Incoming {
            len,
            received: Mutex::new(Received::default()),
            arrived: Condvar::new(),
        })
    }

    /// The number of bytes announced.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn received(&self) -> MutexGuard<'_, Received> {
        self.received.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn push(&self, chunk: Vec<u8>) {
        let mut received = self.received();
        received.bytes += chunk.len();
        received.chunks.push(Arc::new(chunk));
        self.arrived.notify_all();
    }

    pub(crate) fn fail(&self) {
        self.received().broken = true;
        self.arrived.notify_all();
    }

    /// Chunks from index `from` on, waiting until there is one. Empty once
    /// every byte arrived and none is past `from`.
    fn chunks_from(&self, from: usize) -> Result<Vec<Arc<Vec<u8>>>, Broken> {
        let mut received = self.received();
        loop {
            if received.chunks.len() > from {
                return Ok(received.chunks[from..].to_vec());
            }
            if received.bytes >= self.len {
                return Ok(Vec::new());
            }
            if received.broken {
                return Err(Broken);
            }
            received = self
                .arrived
                .wait(received)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Marks arriving bytes broken unless all of them were read, so the thread
/// using them never waits for bytes that cannot come, even when the reader
/// stops.
struct Filling(Arc<Incoming>);

impl Drop for Filling {
    fn drop(&mut self) {
        self.0.fail();
    }
}

/// Reads the announced bytes of `incoming` from `reader` in pieces, each
/// within `patience`. False if the connection failed or stalled first.
pub(crate) async fn fill<R: AsyncRead + Unpin>(
    reader: &mut R,
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

/// Reads an `Incoming` from its first byte, waiting for bytes that have not
/// arrived yet.
pub struct Cursor<'a> {
    incoming: &'a Incoming,
    chunks: Vec<Arc<Vec<u8>>>,
    chunk: usize,
    offset: usize,
    position: usize,
    scratch: Vec<u8>,
}

impl<'a> Cursor<'a> {
    pub fn new(incoming: &'a Incoming) -> Cursor<'a> {
        Cursor {
            incoming,
            chunks: Vec::new(),
            chunk: 0,
            offset: 0,
            position: 0,
            scratch: Vec::new(),
        }
    }

    /// Bytes read so far.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Bytes announced in all.
    pub fn len(&self) -> usize {
        self.incoming.len()
    }

    pub fn is_empty(&self) -> bool {
        self.incoming.is_empty()
    }

    /// The unread part of the current chunk, waiting for the next chunk
    /// when this one is used up.
    fn current(&mut self) -> Result<&[u8], Broken> {
        while self.chunk < self.chunks.len() && self.offset == self.chunks[self.chunk].len() {
            self.chunk += 1;
            self.offset = 0;
        }
        if self.chunk == self.chunks.len() {
            let more = self.incoming.chunks_from(self.chunks.len())?;
            if more.is_empty() {
                return Err(Broken);
            }
            self.chunks.extend(more);
            return self.current();
        }
        Ok(&self.chunks[self.chunk][self.offset..])
    }

    fn advance(&mut self, n: usize) {
        self.offset += n;
        self.position += n;
    }

    /// Copies the next `out.len()` bytes into `out`; `Err` if fewer remain.
    pub fn copy_to(&mut self, out: &mut [u8]) -> Result<(), Broken> {
        if out.len() > self.len() - self.position {
            return Err(Broken);
        }
        let mut done = 0;
        while done < out.len() {
            let available = self.current()?;
            let n = available.len().min(out.len() - done);
            out[done..done + n].copy_from_slice(&available[..n]);
            self.advance(n);
            done += n;
        }
        Ok(())
    }

    /// The next `n` bytes: in place when they lie in one chunk, copied
    /// together otherwise.
    pub fn take(&mut self, n: usize) -> Result<&[u8], Broken> {
        if n > self.len() - self.position {
            return Err(Broken);
        }
        if n == 0 {
            return Ok(&[]);
        }
        if self.current()?.len() >= n {
            let (chunk, offset) = (self.chunk, self.offset);
            self.advance(n);
            return Ok(&self.chunks[chunk][offset..offset + n]);
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.resize(n, 0);
        let copied = self.copy_to(&mut scratch);
        self.scratch = scratch;
        copied.map(|_| &self.scratch[..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(bytes: &[u8], chunk: usize) -> Arc<Incoming> {
        let incoming = Incoming::new(bytes.len());
        for piece in bytes.chunks(chunk) {
            incoming.push(piece.to_vec());
        }
        incoming
    }

    #[test]
    fn takes_and_copies_across_chunk_boundaries() {
        let bytes: Vec<u8> = (0..100u8).collect();
        let incoming = filled(&bytes, 7);
        let mut cursor = Cursor::new(&incoming);
        assert_eq!(cursor.take(3).unwrap(), &bytes[0..3]);
        assert_eq!(cursor.take(10).unwrap(), &bytes[3..13]);
        let mut out = vec![0u8; 50];
        cursor.copy_to(&mut out).unwrap();
        assert_eq!(out, &bytes[13..63]);
        assert_eq!(cursor.take(37).unwrap(), &bytes[63..100]);
        assert_eq!(cursor.position(), 100);
        assert_eq!(cursor.take(1), Err(Broken));
        assert_eq!(cursor.take(0).unwrap(), &[] as &[u8]);
    }

    #[test]
    fn a_reader_waits_for_bytes_that_arrive_later() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let incoming = Incoming::new(bytes.len());
        let writer = {
            let incoming = incoming.clone();
            let bytes = bytes.clone();
            std::thread::spawn(move || {
                for piece in bytes.chunks(999) {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                    incoming.push(piece.to_vec());
                }
            })
        };
        let mut cursor = Cursor::new(&incoming);
        let mut out = vec![0u8; bytes.len()];
        cursor.copy_to(&mut out).unwrap();
        assert_eq!(out, bytes);
        writer.join().unwrap();
    }

    #[test]
    fn a_broken_connection_ends_the_read() {
        let incoming = Incoming::new(100);
        incoming.push(vec![1; 40]);
        incoming.fail();
        let mut cursor = Cursor::new(&incoming);
        assert_eq!(cursor.take(40).unwrap(), &[1u8; 40][..]);
        assert_eq!(cursor.take(1), Err(Broken));
        let mut again = Cursor::new(&incoming);
        let mut out = [0u8; 60];
        assert_eq!(again.copy_to(&mut out), Err(Broken));
    }

    #[test]
    fn more_than_was_announced_is_never_read() {
        let incoming = filled(&[5; 10], 4);
        let mut cursor = Cursor::new(&incoming);
        let mut out = [0u8; 11];
        assert_eq!(cursor.copy_to(&mut out), Err(Broken));
        assert_eq!(cursor.position(), 0);
    }
}
