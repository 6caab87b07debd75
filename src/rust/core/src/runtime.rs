//! The one tokio runtime of a process, started on first use. It records the
//! process id that created it: tokio's threads do not survive fork(), so a
//! forked child (parallel::mclapply) must get an error instead of a hang.

use crate::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use tokio::runtime::Runtime;

static RUNTIME: OnceLock<std::result::Result<(u32, Runtime), String>> = OnceLock::new();

/// Threads of the runtime, 0 for the client's default: a quarter of the
/// processors, from one to four. The client shares its machine with its
/// local workers, and on a small one a second runtime thread mostly hands
/// frames back and forth (measured on 2 cores with 2 workers: 10% more
/// client CPU per task); a login node that serves hundreds of remote
/// workers gets more. A worker process serves one connection and asks for
/// one thread (see [`prefer_threads`]).
static THREADS: AtomicUsize = AtomicUsize::new(0);

fn threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => {
            let processors = std::thread::available_parallelism().map_or(1, |n| n.get());
            (processors / 4).clamp(1, 4)
        }
        n => n,
    }
}

/// Sets the number of runtime threads, if the runtime has not started yet.
pub fn prefer_threads(threads: usize) {
    THREADS.store(threads.max(1), Ordering::Relaxed);
}

/// The shared runtime, or an error in a forked child.
pub fn runtime() -> Result<&'static Runtime> {
    let entry = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads())
            .thread_name("crew-runtime")
            .on_thread_start(crate::os::block_broken_pipe_signal)
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
