//! The crew core: wire protocol, dispatcher, worker client and the small
//! synchronisation pieces they share. Nothing here knows about R; payloads
//! are opaque bytes and results carry typed metadata.

pub mod discard;
pub mod dispatcher;
pub mod duration;
pub mod error;
pub mod incoming;
pub mod metrics;
pub mod net;
pub mod os;
pub mod process;
pub mod protocol;
pub mod random;
pub mod registry;
pub mod rng;
pub mod runtime;
pub mod signal;
pub mod tls;
pub mod worker;

pub use error::{Error, Result};
