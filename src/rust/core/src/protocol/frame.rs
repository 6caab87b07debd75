//! Reading and writing frames with size limits checked before allocation.

use super::{Message, VERSION};
use crate::{Error, Result};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Size limits a reader enforces on its peer.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest header (bincode message) accepted.
    pub max_header: usize,
    /// Largest whole frame body accepted.
    pub max_frame: u64,
}

impl Limits {
    /// Limits for a peer that has not authenticated: handshake frames only.
    pub const HANDSHAKE: Limits = Limits {
        max_header: 4096,
        max_frame: 4096,
    };
    /// Limits for an authenticated peer: large payloads are normal.
    pub const AUTHENTICATED: Limits = Limits {
        max_header: 16 * 1024 * 1024,
        max_frame: 1 << 40,
    };

    /// Whether a payload of `len` bytes fits in one frame (with room for
    /// its header), checked before anything is queued, so that too large
    /// an object is an error for its sender rather than a broken
    /// connection.
    pub fn check_payload(&self, len: usize) -> Result<()> {
        let limit = self.max_frame - 5 - self.max_header as u64;
        match len as u64 {
            bytes if bytes > limit => Err(Error::TooLarge { bytes, limit }),
            _ => Ok(()),
        }
    }
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub message: Message,
    pub payload: Vec<u8>,
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard()
        .with_little_endian()
        .with_limit::<{ 16 * 1024 * 1024 }>()
}

/// Encodes the frame prefix (length, version, header) for `message` with a
/// payload of `payload_len` bytes.
pub fn encode_prefix(message: &Message, payload_len: usize) -> Result<Vec<u8>> {
    let header = bincode::encode_to_vec(message, config())
        .map_err(|e| Error::Protocol(format!("cannot encode message: {e}")))?;
    let body_len = 1 + 4 + header.len() as u64 + payload_len as u64;
    let mut out = Vec::with_capacity(8 + 5 + header.len());
    out.extend_from_slice(&body_len.to_le_bytes());
    out.push(VERSION);
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    Ok(out)
}

/// Writes one frame. The caller flushes when it has nothing more to send.
pub async fn write_frame<W: AsyncWrite + Unpin>(
    writer: &mut W,
    message: &Message,
    payload: &[u8],
) -> Result<()> {
    let prefix = encode_prefix(message, payload.len())?;
    writer.write_all(&prefix).await?;
    if !payload.is_empty() {
        writer.write_all(payload).await?;
    }
    Ok(())
}

/// Reads one frame; `Ok(None)` on a clean end of stream before a frame.
pub async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
    limits: Limits,
) -> Result<Option<Frame>> {
    let Some((message, payload_len)) = read_head(reader, limits).await? else {
        return Ok(None);
    };
    let payload = read_announced(reader, payload_len).await?;
    Ok(Some(Frame { message, payload }))
}

/// Reads a frame up to its payload: the message and the payload's length,
/// which the caller then reads (with `read_announced`, or in pieces).
pub async fn read_head<R: AsyncRead + Unpin>(
    reader: &mut R,
    limits: Limits,
) -> Result<Option<(Message, usize)>> {
    let mut len_buf = [0u8; 8];
    match reader.read_exact(&mut len_buf).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let body_len = u64::from_le_bytes(len_buf);
    if body_len > limits.max_frame {
        return Err(Error::Protocol(format!(
            "frame of {body_len} bytes exceeds the limit of {}",
            limits.max_frame
        )));
    }
    if body_len < 5 {
        return Err(Error::Protocol("frame too short".into()));
    }
    let mut fixed = [0u8; 5];
    reader.read_exact(&mut fixed).await?;
    if fixed[0] != VERSION {
        return Err(Error::Protocol(format!(
            "unsupported protocol version {}",
            fixed[0]
        )));
    }
    let header_len = u32::from_le_bytes([fixed[1], fixed[2], fixed[3], fixed[4]]) as u64;
    if header_len > limits.max_header as u64 || header_len > body_len - 5 {
        return Err(Error::Protocol("frame header length is invalid".into()));
    }
    let header = read_announced(reader, header_len as usize).await?;
    let (message, used): (Message, usize) = bincode::decode_from_slice(&header, config())
        .map_err(|e| Error::Protocol(format!("malformed message: {e}")))?;
    if used != header.len() {
        return Err(Error::Protocol("trailing bytes in message header".into()));
    }
    let payload_len = usize::try_from(body_len - 5 - header_len)
        .map_err(|_| Error::Protocol("payload too large for this platform".into()))?;
    Ok(Some((message, payload_len)))
}

/// The first allocation for announced bytes; each later one doubles what
/// has arrived, up to the announced length.
const FIRST_CHUNK: usize = 64 * 1024;

/// Reads exactly `len` bytes that the peer announced. Memory grows with what
/// arrives rather than with the announcement, so a peer that announces the
/// limit and stops costs little; the buffer ends with no spare capacity.
pub async fn read_announced<R: AsyncRead + Unpin>(reader: &mut R, len: usize) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(len.min(FIRST_CHUNK));
    while buf.len() < len {
        if buf.len() == buf.capacity() {
            buf.reserve_exact(buf.len().min(len - buf.len()));
        }
        let room = buf.capacity() - buf.len();
        // The limit keeps the read inside the capacity reserved above.
        let read = (&mut *reader).take(room as u64).read_buf(&mut buf).await?;
        if read == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
    }
    Ok(buf)
}

/// Reads exactly `len` bytes into a buffer of that size, for a peer that
/// is trusted to send them (the dispatcher, to its own worker).
pub async fn read_exactly<R: AsyncRead + Unpin>(reader: &mut R, len: usize) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(len);
    while buf.len() < len {
        let room = len - buf.len();
        let read = (&mut *reader).take(room as u64).read_buf(&mut buf).await?;
        if read == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ResultExtras, ResultMeta, Seed};

    async fn round_trip(message: Message, payload: Vec<u8>) -> Frame {
        let mut buf = Vec::new();
        write_frame(&mut buf, &message, &payload).await.unwrap();
        let mut slice = buf.as_slice();
        read_frame(&mut slice, Limits::AUTHENTICATED)
            .await
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn frames_round_trip_with_payload() {
        let meta = ResultMeta {
            status: "success".into(),
            code: 0,
            command: Some("x + 1".into()),
            extras: ResultExtras::boxed(None, None, Some("héllo".into()), Seed::Integer(-3), None),
            seconds: Some(0.5),
            controller: Some("a".into()),
        };
        let message = Message::Result { id: 7, meta };
        let payload: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
        let frame = round_trip(message.clone(), payload.clone()).await;
        assert_eq!(frame.message, message);
        assert_eq!(frame.payload, payload);
    }

    #[tokio::test]
    async fn empty_stream_is_clean_end() {
        let mut empty: &[u8] = &[];
        assert!(read_frame(&mut empty, Limits::HANDSHAKE)
            .await
            .unwrap()
            .is_none());
    }

    #[tokio::test]
    async fn oversized_length_is_rejected_before_allocation() {
        let mut buf = Vec::new();
        buf.extend_from_slice(&u64::MAX.to_le_bytes());
        buf.extend_from_slice(&[VERSION, 0, 0, 0, 0]);
        let mut slice = buf.as_slice();
        let err = read_frame(&mut slice, Limits::AUTHENTICATED).await;
        assert!(matches!(err, Err(Error::Protocol(_))));
        let mut buf = Vec::new();
        buf.extend_from_slice(&5000u64.to_le_bytes());
        let mut slice = buf.as_slice();
        assert!(read_frame(&mut slice, Limits::HANDSHAKE).await.is_err());
    }

    #[tokio::test]
    async fn wrong_version_and_garbage_are_rejected() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &Message::Heartbeat, &[])
            .await
            .unwrap();
        buf[8] = 99;
        let mut slice = buf.as_slice();
        assert!(read_frame(&mut slice, Limits::HANDSHAKE).await.is_err());

        let garbage = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
        let mut slice = garbage.as_slice();
        assert!(read_frame(&mut slice, Limits::HANDSHAKE).await.is_err());
    }

    #[tokio::test]
    async fn header_longer_than_body_is_rejected() {
        let mut buf = Vec::new();
        buf.extend_from_slice(&10u64.to_le_bytes());
        buf.push(VERSION);
        buf.extend_from_slice(&100u32.to_le_bytes());
        buf.extend_from_slice(&[0u8; 5]);
        let mut slice = buf.as_slice();
        assert!(read_frame(&mut slice, Limits::HANDSHAKE).await.is_err());
    }

    #[tokio::test]
    async fn truncated_frame_is_an_error() {
        let mut buf = Vec::new();
        write_frame(
            &mut buf,
            &Message::Task {
                id: 1,
                name: "t".into(),
                part: 0,
            },
            b"abcdef",
        )
        .await
        .unwrap();
        buf.truncate(buf.len() - 2);
        let mut slice = buf.as_slice();
        assert!(read_frame(&mut slice, Limits::AUTHENTICATED).await.is_err());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut state = 0x2545f4914f6cdd1du64;
        for len in 0..2000usize {
            let mut bytes = Vec::with_capacity(len);
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                bytes.push(state as u8);
            }
            if len > 13 {
                bytes[..8].copy_from_slice(&((len - 8) as u64).to_le_bytes());
                bytes[8] = VERSION;
            }
            let mut slice = bytes.as_slice();
            let _ = rt.block_on(read_frame(&mut slice, Limits::HANDSHAKE));
        }
    }
}
