//! A dispatcher as the listening socket it shares sees it, and how a
//! worker's handshake finds the one that issued its credential. Both the
//! listener (which keeps the members) and each connection's session (which
//! routes the handshake) need this, so it sits apart from either.

use super::state::State;
use super::Timing;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::watch;

/// A dispatcher as its listener sees it.
#[derive(Clone)]
pub(crate) struct Member {
    pub(super) id: u64,
    pub state: Arc<Mutex<State>>,
    pub timing: Timing,
    pub shutdown: watch::Receiver<bool>,
}

pub(crate) type Members = Arc<Mutex<Vec<Member>>>;

fn lock<T>(x: &Mutex<T>) -> MutexGuard<'_, T> {
    x.lock().unwrap_or_else(|e| e.into_inner())
}

/// The member whose dispatcher issued `credential` and accepts `proof`
/// (which spends one use of the credential), and when it issued it.
pub(crate) fn route(
    members: &Members,
    credential: &str,
    nonce: &[u8; 32],
    proof: &[u8],
) -> Option<(Member, Instant)> {
    let members = lock(members).clone();
    members.into_iter().find_map(|member| {
        let issued = lock(&member.state).authenticate(credential, nonce, proof)?;
        Some((member, issued))
    })
}
