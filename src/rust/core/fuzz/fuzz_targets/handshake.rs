#![no_main]
//! Arbitrary bytes from a peer against a real dispatcher on loopback, one
//! fresh connection per input. The handshake is not exposed on its own, and
//! a real listener also covers what surrounds it (accept, the handshake cap,
//! dropping the stranger). A peer without the credential's secret must never
//! join, must never be told more than the challenge, and must be let go
//! once it has nothing more to say.

use crew_core::dispatcher::{Config, Dispatcher, Timing};
use crew_core::protocol::frame::encode_prefix;
use crew_core::protocol::{read_frame, Credential, Limits, Message};
use crew_core_fuzz::complete;
use libfuzzer_sys::fuzz_target;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

/// Far longer than a dispatcher needs to drop a peer that has closed its
/// side, and shorter than libFuzzer's own timeout.
const PATIENCE: Duration = Duration::from_secs(5);

struct Target {
    dispatcher: Dispatcher,
    address: SocketAddr,
    credential_id: String,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let dispatcher = Dispatcher::start(Config {
            host: "127.0.0.1".into(),
            port: 0,
            timing: Timing::default(),
            tls: None,
            certificate: None,
            welcome: Vec::new(),
            tls_settings: String::new(),
        })
        .expect("the dispatcher starts on loopback");
        let token = dispatcher.issue_credential(u64::MAX);
        let credential_id = Credential::parse(&token).unwrap().id;
        let address = SocketAddr::from(([127, 0, 0, 1], dispatcher.port()));
        Target {
            dispatcher,
            address,
            credential_id,
        }
    })
}

/// Odd first bytes send a well-formed Hello naming the dispatcher's real
/// credential with the rest as proof, so proof checking is reached at once
/// (guessing the 24-character id from raw bytes would take the fuzzer
/// long); even first bytes send the rest as it is.
fn peer_bytes(input: &[u8], credential_id: &str) -> Vec<u8> {
    match input.split_first() {
        Some((mode, rest)) if mode & 1 == 1 => {
            let hello = Message::Hello {
                credential: credential_id.to_string(),
                proof: rest.to_vec(),
                pid: 0,
                host: String::new(),
            };
            encode_prefix(&hello, 0).unwrap()
        }
        Some((_, rest)) => rest.to_vec(),
        None => Vec::new(),
    }
}

fn read_challenge(stream: &mut TcpStream) {
    let mut length = [0u8; 8];
    stream
        .read_exact(&mut length)
        .expect("the dispatcher sends its challenge");
    let body_len = u64::from_le_bytes(length);
    assert!(body_len <= Limits::HANDSHAKE.max_frame);
    let mut frame = length.to_vec();
    frame.resize(8 + body_len as usize, 0);
    stream.read_exact(&mut frame[8..]).unwrap();
    let challenge = complete(read_frame(&mut frame.as_slice(), Limits::HANDSHAKE));
    assert!(matches!(
        challenge,
        Ok(Some(frame)) if matches!(frame.message, Message::Challenge { .. })
    ));
}

/// Everything the dispatcher sends until it drops the connection.
fn read_until_dropped(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return received,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            // The dispatcher closed with part of the input unread.
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return received,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("the dispatcher held on to a finished peer: {e}"),
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let target = target();
    let bytes = peer_bytes(input, &target.credential_id);
    let mut stream = TcpStream::connect(target.address).expect("loopback connects");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    read_challenge(&mut stream);
    // The dispatcher may drop the connection before all of it is written.
    let _ = stream.write_all(&bytes);
    let _ = stream.shutdown(Shutdown::Write);
    let after_challenge = read_until_dropped(&mut stream);
    assert!(
        after_challenge.is_empty(),
        "a stranger was sent more than the challenge"
    );
    let status = target.dispatcher.status();
    assert_eq!(status.cumulative, 0, "a peer without the secret joined");
});
