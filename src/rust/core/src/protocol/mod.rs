//! The wire protocol between a dispatcher and its workers.
//!
//! Every frame is `u64 LE body length | u8 version | u32 LE header length |
//! bincode header | payload`. The header is a [`Message`]; the payload is an
//! opaque byte string (a serialized R task or result value) that is never
//! re-encoded.

pub mod auth;
pub mod codes;
pub mod frame;
pub mod link;
pub mod message;

pub use auth::Credential;
pub use frame::{read_frame, write_frame, Frame, Limits};
pub use link::Link;
pub use message::{ExitReason, Message, ResultExtras, ResultMeta, Seed};

/// The protocol version byte carried by every frame.
pub const VERSION: u8 = 7;
