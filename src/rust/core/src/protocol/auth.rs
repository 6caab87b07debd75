//! Worker authentication: launch credentials and the HMAC challenge.
//!
//! A credential is an id and a 32-byte secret. The worker's call string
//! carries both; the wire only ever carries the id and an HMAC-SHA256 of the
//! dispatcher's fresh nonce under the secret, so watching the network reveals
//! nothing reusable. The dispatcher spends one use per accepted worker.

use crate::secure_random;
use ring::hmac;

const CONTEXT: &[u8] = b"crew worker proof v1";
const PREFIX: &str = "crew1";

/// A launch credential: an id and its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub id: String,
    pub secret: [u8; 32],
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential").field("id", &self.id).finish()
    }
}

impl Credential {
    /// A fresh random credential.
    pub fn generate() -> Credential {
        let mut secret = [0u8; 32];
        secure_random::fill(&mut secret);
        Credential {
            id: secure_random::hex(12),
            secret,
        }
    }

    /// The text form placed in a worker's call string.
    pub fn token(&self) -> String {
        format!(
            "{PREFIX}-{}-{}",
            self.id,
            secure_random::to_hex(&self.secret)
        )
    }

    /// Parses the text form; `None` if it is malformed.
    pub fn parse(token: &str) -> Option<Credential> {
        let mut parts = token.split('-');
        let (prefix, id, secret) = (parts.next()?, parts.next()?, parts.next()?);
        if prefix != PREFIX || parts.next().is_some() || id.len() != 24 {
            return None;
        }
        secure_random::from_hex(id)?;
        let secret: [u8; 32] = secure_random::from_hex(secret)?.try_into().ok()?;
        Some(Credential {
            id: id.to_string(),
            secret,
        })
    }

    /// The proof that answers `nonce`.
    pub fn prove(&self, nonce: &[u8; 32]) -> Vec<u8> {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.secret);
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(CONTEXT);
        ctx.update(nonce);
        ctx.sign().as_ref().to_vec()
    }

    /// Checks a proof in constant time.
    pub fn verify(&self, nonce: &[u8; 32], proof: &[u8]) -> bool {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.secret);
        let mut message = Vec::with_capacity(CONTEXT.len() + nonce.len());
        message.extend_from_slice(CONTEXT);
        message.extend_from_slice(nonce);
        hmac::verify(&key, &message, proof).is_ok()
    }
}

/// A fresh nonce for one handshake.
pub fn nonce() -> [u8; 32] {
    let mut nonce = [0u8; 32];
    secure_random::fill(&mut nonce);
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_round_trips_and_proof_verifies() {
        let credential = Credential::generate();
        let parsed = Credential::parse(&credential.token()).unwrap();
        assert_eq!(parsed, credential);
        let n = nonce();
        assert!(credential.verify(&n, &parsed.prove(&n)));
    }

    #[test]
    fn wrong_secret_or_nonce_fails() {
        let a = Credential::generate();
        let mut b = a.clone();
        b.secret[0] ^= 1;
        let n = nonce();
        assert!(!a.verify(&n, &b.prove(&n)));
        assert!(!a.verify(&nonce(), &a.prove(&n)));
        assert!(!a.verify(&n, &[]));
    }

    #[test]
    fn malformed_tokens_are_rejected() {
        for bad in [
            "",
            "crew1",
            "crew1-xx-yy",
            "other-aaaaaaaaaaaaaaaaaaaaaaaa-00",
            "crew1-a-b-c",
        ] {
            assert!(Credential::parse(bad).is_none(), "{bad}");
        }
    }
}
