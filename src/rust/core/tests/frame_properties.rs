//! Properties of the frame decoder over a few thousand generated inputs:
//! random and mutated bytes never panic and never yield more than the
//! limits allow; valid frames of any payload size come back unchanged, even
//! when they arrive a few bytes at a time. The generator is seeded, so a
//! failure repeats.

use crew_core::protocol::{
    read_frame, write_frame, ExitReason, Frame, Limits, Message, ResultExtras, ResultMeta, Seed,
};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::runtime::Runtime;

/// xorshift64*: small, deterministic and good enough to pick test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    fn bytes_up_to(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max + 1);
        self.bytes(len)
    }

    fn text(&mut self) -> String {
        const CHARS: &[char] = &['a', 'z', '0', ' ', '-', 'é', '\n', '中', '\u{1f600}'];
        (0..self.below(12))
            .map(|_| CHARS[self.below(CHARS.len())])
            .collect()
    }

    fn maybe_text(&mut self) -> Option<String> {
        (self.below(2) == 0).then(|| self.text())
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn random_message(rng: &mut Rng) -> Message {
    match rng.below(11) {
        0 => Message::Challenge {
            nonce: rng.bytes(32).try_into().unwrap(),
        },
        1 => Message::Hello {
            credential: rng.text(),
            proof: rng.bytes_up_to(40),
            pid: rng.next() as u32,
            host: rng.text(),
        },
        2 => Message::Welcome {
            worker: rng.next(),
            stream: std::array::from_fn(|_| rng.next() as i32),
            heartbeat_interval_ms: rng.next(),
            heartbeat_timeout_ms: rng.next(),
        },
        3 => Message::Task {
            id: rng.next(),
            name: rng.text(),
            part: rng.next(),
        },
        4 => Message::Cancel { id: rng.next() },
        5 => Message::Result {
            id: rng.next(),
            meta: ResultMeta {
                status: rng.text().into(),
                code: rng.next() as i32,
                command: rng.maybe_text().map(Into::into),
                extras: ResultExtras::boxed(
                    rng.maybe_text().map(Into::into),
                    rng.maybe_text().map(Into::into),
                    rng.maybe_text().map(Into::into),
                    match rng.below(3) {
                        0 => Seed::Missing,
                        1 => Seed::Integer(rng.next() as i32),
                        _ => Seed::Double(-(rng.below(1000) as f64) / 3.0),
                    },
                    rng.maybe_text().map(Into::into),
                ),
                seconds: (rng.below(2) == 0).then(|| rng.below(1_000_000) as f64 / 7.0),
                controller: rng.maybe_text().map(Into::into),
            },
        },
        6 => Message::Heartbeat,
        8 => Message::Part { id: rng.next() },
        9 => Message::Pulse {
            cpu_percent: rng.below(40_000) as f32 / 100.0,
            resident_bytes: rng.next(),
        },
        7 => Message::Bye {
            reason: [ExitReason::Normal, ExitReason::Lost, ExitReason::Untrusted][rng.below(3)],
        },
        _ => Message::Shutdown,
    }
}

/// Payload sizes around the edges of the reader's buffer growth, and some
/// anywhere up to 300 KiB.
fn random_payload_len(rng: &mut Rng) -> usize {
    const EDGES: &[usize] = &[0, 1, 65_535, 65_536, 65_537, 131_071, 131_072, 131_073];
    if rng.below(3) == 0 {
        EDGES[rng.below(EDGES.len())]
    } else {
        rng.below(300 * 1024)
    }
}

fn encode(rt: &Runtime, message: &Message, payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    rt.block_on(write_frame(&mut bytes, message, payload))
        .unwrap();
    bytes
}

/// Replaces, inserts, removes or truncates at random places.
fn mutate(rng: &mut Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    const INTERESTING: &[u8] = &[0, 1, 5, 6, 0x7f, 0x80, 0xfb, 0xfc, 0xfd, 0xfe, 0xff];
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            break;
        }
        let at = rng.below(bytes.len());
        match rng.below(5) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = INTERESTING[rng.below(INTERESTING.len())],
            2 => bytes.insert(at, rng.next() as u8),
            3 => {
                bytes.remove(at);
            }
            _ => bytes.truncate(at),
        }
    }
    bytes
}

/// Checks what the decoder promises for any input.
fn check_any_input(rt: &Runtime, input: &[u8]) {
    for limits in [Limits::HANDSHAKE, Limits::AUTHENTICATED] {
        let mut reader = input;
        match rt.block_on(read_frame(&mut reader, limits)) {
            Ok(Some(frame)) => {
                let body_len = u64::from_le_bytes(input[..8].try_into().unwrap());
                assert!(body_len <= limits.max_frame);
                assert!(frame.payload.len() as u64 <= body_len - 5);
                assert_eq!((input.len() - reader.len()) as u64, 8 + body_len);
            }
            Ok(None) => assert!(input.len() < 8),
            Err(_) => {}
        }
    }
}

#[test]
fn random_and_mutated_bytes_stay_within_the_limits() {
    let rt = runtime();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2000 {
        let len = rng.below(64);
        check_any_input(&rt, &rng.bytes(len));
    }
    for _ in 0..3000 {
        let message = random_message(&mut rng);
        let payload = rng.bytes_up_to(64);
        let valid = encode(&rt, &message, &payload);
        check_any_input(&rt, &mutate(&mut rng, valid));
    }
}

/// Hands out its bytes a few at a time, waking itself between reads as a
/// socket would, so the decoder must cope with short reads everywhere.
struct Trickle {
    data: Vec<u8>,
    at: usize,
    rng: Rng,
}

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.rng.below(4) == 0 {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let left = this.data.len() - this.at;
        let n = left.min(buf.remaining()).min(1 + this.rng.below(70_000));
        buf.put_slice(&this.data[this.at..this.at + n]);
        this.at += n;
        Poll::Ready(Ok(()))
    }
}

#[test]
fn valid_frames_round_trip_with_random_payload_sizes() {
    let rt = runtime();
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for _ in 0..60 {
        let frames: Vec<Frame> = (0..3)
            .map(|_| Frame {
                message: random_message(&mut rng),
                payload: {
                    let len = random_payload_len(&mut rng);
                    rng.bytes(len)
                },
            })
            .collect();
        let stream: Vec<u8> = frames
            .iter()
            .flat_map(|frame| encode(&rt, &frame.message, &frame.payload))
            .collect();
        let mut reader = Trickle {
            data: stream,
            at: 0,
            rng: Rng(rng.next() | 1),
        };
        for frame in &frames {
            let read = rt
                .block_on(read_frame(&mut reader, Limits::AUTHENTICATED))
                .unwrap()
                .unwrap();
            assert_eq!(&read, frame);
        }
        assert!(rt
            .block_on(read_frame(&mut reader, Limits::AUTHENTICATED))
            .unwrap()
            .is_none());
    }
}

#[test]
fn small_frames_read_the_same_before_and_after_authentication() {
    let rt = runtime();
    let mut rng = Rng(0xfeed_f00d_dead_beef);
    for _ in 0..500 {
        let message = random_message(&mut rng);
        let payload = rng.bytes_up_to(64);
        let bytes = encode(&rt, &message, &payload);
        let before = rt
            .block_on(read_frame(&mut bytes.as_slice(), Limits::HANDSHAKE))
            .unwrap();
        let after = rt
            .block_on(read_frame(&mut bytes.as_slice(), Limits::AUTHENTICATED))
            .unwrap();
        assert_eq!(before, after);
        assert_eq!(after, Some(Frame { message, payload }));
    }
}
