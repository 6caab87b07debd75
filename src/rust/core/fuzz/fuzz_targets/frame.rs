#![no_main]
//! Arbitrary bytes into the frame decoder, under both limits. Huge
//! allocations are caught by libFuzzer's -malloc_limit_mb; this target
//! checks everything the decoder promises about what it returns.

use crew_core::protocol::{read_frame, write_frame, Frame, Limits};
use crew_core_fuzz::complete;
use libfuzzer_sys::fuzz_target;

fn decode(bytes: &[u8], limits: Limits) -> (crew_core::Result<Option<Frame>>, usize) {
    let mut rest = bytes;
    let result = complete(read_frame(&mut rest, limits));
    (result, bytes.len() - rest.len())
}

fn encode(frame: &Frame) -> Vec<u8> {
    let mut bytes = Vec::new();
    complete(write_frame(&mut bytes, &frame.message, &frame.payload))
        .expect("a decoded frame always encodes");
    bytes
}

/// Decodes `input` under `limits`, checks what came out, and returns the
/// canonical encoding of the accepted frame. Encodings are compared rather
/// than frames because a NaN in the metadata is not equal to itself.
fn accepted(input: &[u8], limits: Limits) -> Option<Vec<u8>> {
    let (result, consumed) = decode(input, limits);
    let frame = match result {
        Ok(Some(frame)) => frame,
        Ok(None) => {
            assert!(
                input.len() < 8,
                "a whole length prefix read as end of stream"
            );
            return None;
        }
        Err(_) => return None,
    };
    let body_len = u64::from_le_bytes(input[..8].try_into().unwrap());
    assert!(
        body_len <= limits.max_frame,
        "accepted a frame over the limit"
    );
    assert_eq!(consumed as u64, 8 + body_len, "read past its own frame");
    assert!(frame.payload.len() as u64 <= body_len - 5);

    let encoded = encode(&frame);
    let (again, used) = decode(&encoded, limits);
    let again = again
        .expect("a re-encoded frame decodes under the same limits")
        .expect("a re-encoded frame is not an empty stream");
    assert_eq!(used, encoded.len());
    assert_eq!(again.payload, frame.payload);
    assert_eq!(encode(&again), encoded, "re-encoding changed the message");
    Some(encoded)
}

fuzz_target!(|input: &[u8]| {
    let before_authentication = accepted(input, Limits::HANDSHAKE);
    let after_authentication = accepted(input, Limits::AUTHENTICATED);
    if before_authentication.is_some() {
        assert_eq!(
            after_authentication, before_authentication,
            "the authenticated limits refused or changed a handshake frame"
        );
    }
});
