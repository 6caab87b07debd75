//! Cryptographically secure random bytes for names, nonces and secrets.

use ring::rand::{SecureRandom, SystemRandom};

/// Fills `buf` from the operating system's secure generator.
pub fn fill(buf: &mut [u8]) {
    // SystemRandom only fails if the OS generator is unavailable, in which
    // case nothing about the process is trustworthy any more.
    SystemRandom::new()
        .fill(buf)
        .expect("the operating system's random number generator failed");
}

/// A random 64-bit number.
pub fn random_u64() -> u64 {
    let mut buf = [0u8; 8];
    fill(&mut buf);
    u64::from_le_bytes(buf)
}

/// `n` random bytes as `2n` lowercase hex characters.
pub fn hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    fill(&mut buf);
    to_hex(&buf)
}

/// Lowercase hex encoding.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    out
}

/// Decodes lowercase or uppercase hex; `None` on any malformed input.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_length() {
        let h = hex(16);
        assert_eq!(h.len(), 32);
        assert!(h
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(to_hex(&from_hex(&h).unwrap()), h);
        assert_ne!(hex(16), hex(16));
    }

    #[test]
    fn bad_hex_is_rejected() {
        assert!(from_hex("abc").is_none());
        assert!(from_hex("zz").is_none());
    }
}
