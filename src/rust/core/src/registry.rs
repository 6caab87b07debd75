//! Running dispatchers by compute profile name, so that a launcher (which
//! knows only the profile) can ask for credentials and RNG streams.

use crate::dispatcher::roster::WorkerRow;
use crate::dispatcher::{Config, Dispatcher};
use crate::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

fn table() -> MutexGuard<'static, HashMap<String, Arc<Dispatcher>>> {
    static TABLE: OnceLock<Mutex<HashMap<String, Arc<Dispatcher>>>> = OnceLock::new();
    TABLE
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Starts a dispatcher under `profile`; an active profile is an error.
pub fn start(profile: &str, config: Config) -> Result<Arc<Dispatcher>> {
    let mut table = table();
    if let Some(existing) = table.get(profile) {
        return Err(Error::ProfileActive {
            profile: profile.to_string(),
            url: existing.url(),
        });
    }
    let dispatcher = Arc::new(Dispatcher::start(config)?);
    table.insert(profile.to_string(), dispatcher.clone());
    stopped().remove(profile);
    Ok(dispatcher)
}

/// The dispatcher running under `profile`.
pub fn get(profile: &str) -> Option<Arc<Dispatcher>> {
    table().get(profile).cloned()
}

/// The rosters of the dispatchers that stopped, by profile, until the
/// profile starts again: a terminated controller still shows its workers.
fn stopped() -> MutexGuard<'static, HashMap<String, Vec<WorkerRow>>> {
    static STOPPED: OnceLock<Mutex<HashMap<String, Vec<WorkerRow>>>> = OnceLock::new();
    STOPPED
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Terminates and forgets the dispatcher of `profile`; false if none ran.
pub fn stop(profile: &str) -> bool {
    let removed = table().remove(profile);
    match removed {
        Some(dispatcher) => {
            dispatcher.terminate();
            stopped().insert(profile.to_string(), dispatcher.roster());
            true
        }
        None => false,
    }
}

/// The workers of the dispatcher of `profile`: the running one's, or the
/// last one's until the profile starts again; `None` if neither.
pub fn roster(profile: &str) -> Option<Vec<WorkerRow>> {
    match get(profile) {
        Some(dispatcher) => Some(dispatcher.roster()),
        None => stopped().get(profile).cloned(),
    }
}

/// Terminates every dispatcher (the package is unloading).
pub fn stop_all() {
    let all: Vec<Arc<Dispatcher>> = table().drain().map(|(_, d)| d).collect();
    for dispatcher in all {
        dispatcher.terminate();
    }
}
