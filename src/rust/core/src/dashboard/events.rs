//! The stream of snapshots an open page reads (server-sent events).

use super::http;
use super::server::{send, Shared};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;

/// How often an open page's stream looks for news: at most this many
/// snapshots a second go to one page.
const TICK: Duration = Duration::from_millis(250);

/// The longest a page goes without a snapshot, so that its ages grow.
/// A little under a second, so that the tick that falls on the second
/// sends.
const QUIET_MAX: Duration = Duration::from_millis(950);

/// A page's stream: a snapshot at once, then whenever a dispatcher
/// resolved tasks or [`QUIET_MAX`] passed, checked every [`TICK`], until
/// the page goes away.
pub(super) async fn events(stream: TcpStream, shared: &Shared) {
    let (mut reader, mut writer) = stream.into_split();
    let head = [http::event_stream_head(), b"retry: 1000\n\n".to_vec()].concat();
    if !send(&mut writer, &head).await {
        return;
    }
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sent: Option<(u64, Instant)> = None;
    let mut sink = [0u8; 1024];
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            closed = gone(&mut reader, &mut sink) => if closed { return } else { continue },
        }
        let generation = shared.generation();
        let due = match sent {
            None => true,
            Some((last, at)) => last != generation || at.elapsed() >= QUIET_MAX,
        };
        if due {
            if !send(&mut writer, &http::event(&shared.snapshot())).await {
                return;
            }
            sent = Some((generation, Instant::now()));
        }
    }
}

/// Reads and drops what the peer sends; true once it closed.
async fn gone<R: AsyncRead + Unpin>(reader: &mut R, sink: &mut [u8]) -> bool {
    matches!(reader.read(sink).await, Ok(0) | Err(_))
}
