//! The secret every request to a dashboard carries in its query string.

use crate::secure_random;

/// A fresh token: 16 random bytes as 32 hex characters.
pub fn new() -> String {
    secure_random::hex(16)
}

/// Whether `given` is `expected`, in time that depends on the lengths
/// alone, so that timing the answers reveals nothing of the token.
pub fn matches(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    let difference = given
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    // black_box keeps the optimiser from ending the loop at the first
    // difference.
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_32_hex_characters_and_differ() {
        let (a, b) = (new(), new());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn only_the_same_token_matches() {
        let token = new();
        assert!(matches(token.as_bytes(), token.as_bytes()));
        assert!(!matches(b"", token.as_bytes()));
        assert!(!matches(&token.as_bytes()[..31], token.as_bytes()));
        let mut other = token.clone().into_bytes();
        other[31] = if other[31] == b'0' { b'1' } else { b'0' };
        assert!(!matches(&other, token.as_bytes()));
    }
}
