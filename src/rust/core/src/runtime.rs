//! The one tokio runtime of a process, started on first use. It records the
//! process id that created it: tokio's threads do not survive fork(), so a
//! forked child (parallel::mclapply) must get an error instead of a hang.

use crate::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use tokio::runtime::Runtime;

static RUNTIME: OnceLock<std::result::Result<(u32, Runtime), String>> = OnceLock::new();

/// Threads of the runtime: two for a client, whose dispatcher serves many
/// connections; a worker process serves one connection and asks for one
/// (see [`prefer_threads`]), which saves a thread hand-off per frame.
static THREADS: AtomicUsize = AtomicUsize::new(2);

/// Sets the number of runtime threads, if the runtime has not started yet.
pub fn prefer_threads(threads: usize) {
    THREADS.store(threads.max(1), Ordering::Relaxed);
}

/// The shared runtime, or an error in a forked child.
pub fn runtime() -> Result<&'static Runtime> {
    let entry = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(THREADS.load(Ordering::Relaxed))
            .thread_name("crew-runtime")
            .enable_all()
            .build()
            .map(|rt| (std::process::id(), rt))
            .map_err(|e| e.to_string())
    });
    match entry {
        Ok((pid, rt)) if *pid == std::process::id() => Ok(rt),
        Ok(_) => Err(Error::Forked),
        Err(message) => Err(Error::Runtime(message.clone())),
    }
}

/// Errors in a forked child even before the runtime has been used there.
pub fn check_not_forked() -> Result<()> {
    match RUNTIME.get() {
        Some(Ok((pid, _))) if *pid != std::process::id() => Err(Error::Forked),
        _ => Ok(()),
    }
}
