//! What the fuzz targets share.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Runs a future whose I/O is in memory and so never has to wait; a future
/// that does wait there would hang a real connection's reader forever.
pub fn complete<F: Future>(future: F) -> F::Output {
    let mut context = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut context) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a future over in-memory I/O waited"),
    }
}
