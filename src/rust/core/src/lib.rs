//! The crew core: wire protocol, dispatcher, worker client and the small
//! synchronisation pieces they share. Nothing here knows about R; payloads
//! are opaque bytes and results carry typed metadata.

pub mod dashboard;
pub mod discard;
pub mod dispatcher;
pub mod duration;
pub mod error;
pub mod event_count;
pub mod incoming;
pub mod metrics;
pub mod net;
pub mod os;
pub mod process;
pub mod protocol;
pub mod registry;
pub mod rng_streams;
pub mod runtime;
pub mod secure_random;
pub mod tls;
pub mod worker;

pub use error::{Error, Result};
