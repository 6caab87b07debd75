//! The workers of a controller's dispatcher, as `crew_status()` shows
//! them, and the exit statuses the client learns of for lost workers.

use crate::r::convert::{named, running};
use crew_core::dispatcher::roster::WorkerRow;
use crew_core::registry;
use extendr_api::prelude::*;

const MB: f64 = 1024.0 * 1024.0;

fn doubles(rows: &[WorkerRow], f: impl Fn(&WorkerRow) -> Option<f64>) -> Robj {
    Doubles::from_values(
        rows.iter()
            .map(|row| f(row).map_or(Rfloat::na(), Rfloat::from)),
    )
    .into()
}

fn strings(rows: &[WorkerRow], f: impl Fn(&WorkerRow) -> Option<String>) -> Robj {
    Strings::from_values(rows.iter().map(|row| f(row).map_or(Rstr::na(), Rstr::from))).into()
}

fn integers(rows: &[WorkerRow], f: impl Fn(&WorkerRow) -> Option<i64>) -> Robj {
    let value = |x: i64| Rint::from(x.clamp(i64::from(i32::MIN + 1), i64::from(i32::MAX)) as i32);
    Integers::from_values(rows.iter().map(|row| f(row).map_or(Rint::na(), value))).into()
}

/// One column per field of the rows of the profile's workers (the running
/// dispatcher's, or the last one's), or NULL if the profile never ran.
#[extendr]
fn native_dispatcher_roster(profile: &str) -> Robj {
    let Some(rows) = registry::roster(profile) else {
        return Robj::from(());
    };
    let rows = rows.as_slice();
    named(
        &[
            "worker",
            "host",
            "pid",
            "state",
            "seconds_launched",
            "task",
            "seconds_task",
            "tasks_done",
            "cpu_percent",
            "resident_mb",
            "peak_resident_mb",
            "seconds_heartbeat",
            "ended",
            "exit_status",
        ],
        vec![
            integers(rows, |r| r.worker.map(|w| w as i64)),
            strings(rows, |r| r.host.as_deref().map(str::to_string)),
            integers(rows, |r| r.pid.map(i64::from)),
            strings(rows, |r| Some(r.state.name().to_string())),
            doubles(rows, |r| r.seconds_launched),
            strings(rows, |r| r.task.as_deref().map(str::to_string)),
            doubles(rows, |r| r.seconds_task),
            integers(rows, |r| Some(r.tasks_done as i64)),
            doubles(rows, |r| r.cpu_percent),
            doubles(rows, |r| r.resident_bytes.map(|b| b as f64 / MB)),
            doubles(rows, |r| r.peak_resident_bytes.map(|b| b as f64 / MB)),
            doubles(rows, |r| r.seconds_heartbeat),
            strings(rows, |r| r.ending.map(|e| e.describe())),
            integers(rows, |r| r.exit_status.map(i64::from)),
        ],
    )
}

/// Process ids of the profile's lost workers whose exit status is not
/// known yet (empty if not running).
#[extendr]
fn native_dispatcher_unexplained(profile: &str) -> Robj {
    let pids = running(profile).map_or_else(|_| Vec::new(), |d| d.unexplained());
    Integers::from_values(pids.into_iter().map(|pid| pid.min(i32::MAX as u32) as i32)).into()
}

/// Records the exit statuses (negative: signals) the client learned of for
/// lost workers, by process id; returns how many were recorded.
#[extendr]
fn native_dispatcher_note_exits(profile: &str, pids: Integers, statuses: Integers) -> i32 {
    let Ok(d) = running(profile) else {
        return 0;
    };
    pids.iter()
        .zip(statuses.iter())
        .filter_map(|(pid, status)| Some((Option::<i32>::from(pid)?, Option::<i32>::from(status)?)))
        .filter(|(pid, status)| *pid > 0 && d.note_exit(*pid as u32, *status))
        .count() as i32
}

extendr_module! {
    mod api_roster;
    fn native_dispatcher_roster;
    fn native_dispatcher_unexplained;
    fn native_dispatcher_note_exits;
}
