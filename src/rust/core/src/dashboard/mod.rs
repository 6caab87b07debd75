//! A live dashboard in the browser: an HTTP server on the shared runtime
//! that serves one self-contained page and streams snapshots of the
//! chosen controllers' task counts and workers to it (server-sent
//! events). Every request needs the dashboard's random token.

mod events;
mod http;
mod json;
mod routes;
mod running;
mod server;
mod snapshot;
mod token;

pub use running::{start, stop, stop_all};
pub use server::{Dashboard, Settings, CONNECTIONS_MAX, HEAD_TIMEOUT};
