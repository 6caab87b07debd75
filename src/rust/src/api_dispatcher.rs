//! The dispatcher as R sees it: one per compute profile, addressed by the
//! profile's name.

use crate::api_signal::signal_robj;
use crate::convert::{
    duration, error_record, interrupt_record, named, rstr, value_or_record, wait_sliced, Waited,
};
use crate::serial;
use crew_core::dispatcher::{Config, Dispatcher, Taken, Timing};
use crew_core::protocol::Seed;
use crate::api_tls::password;
use crew_core::tls::Identity;
use crew_core::{registry, runtime, Error};
use extendr_api::prelude::*;
use std::sync::Arc;
use std::time::Duration;

pub(crate) fn running(profile: &str) -> crew_core::Result<Arc<Dispatcher>> {
    runtime::check_not_forked()?;
    registry::get(profile).ok_or_else(|| Error::ProfileNotRunning(profile.to_string()))
}

fn strings(values: &Strings) -> Vec<String> {
    values
        .iter()
        .filter(|s| !s.is_na())
        .map(|s| s.to_string())
        .collect()
}

/// Starts listening for workers under `profile`; returns `list(url, port)`.
#[extendr]
fn native_dispatcher_start(
    profile: &str,
    host: &str,
    port: i32,
    heartbeat_seconds: f64,
    heartbeat_timeout: f64,
    tls_mode: &str,
    tls_certificates: &str,
    tls_key: &str,
    tls_password: &str,
    tls_workers_ca: &str,
) -> Robj {
    if let Err(error) = runtime::check_not_forked() {
        return error_record(error);
    }
    let Ok(port) = u16::try_from(port) else {
        return error_record("port must be between 0 and 65535");
    };
    let timing = Timing {
        heartbeat_interval: duration(heartbeat_seconds).unwrap_or(Duration::from_secs(1)),
        heartbeat_timeout: duration(heartbeat_timeout).unwrap_or(Duration::from_secs(10)),
        ..Timing::default()
    };
    let identity = match tls_mode {
        "none" => None,
        "automatic" => Some(Identity::automatic(host)),
        "custom" => Some(
            Identity::custom(tls_certificates, tls_key, password(tls_password))
                .and_then(|identity| identity.check_host(host).map(|()| identity)),
        ),
        other => return error_record(format!("unknown TLS mode '{other}'")),
    };
    let identity = match identity.transpose() {
        Ok(identity) => identity,
        Err(error) => return error_record(error),
    };
    let workers_ca = (!tls_workers_ca.is_empty()).then_some(tls_workers_ca);
    let tls = match identity.as_ref().map(|i| i.server_config(workers_ca)).transpose() {
        Ok(tls) => tls,
        Err(error) => return error_record(error),
    };
    let config = Config {
        host: host.to_string(),
        port,
        timing,
        tls,
        certificate: identity.map(|i| i.certificate_pem().to_string()),
    };
    match registry::start(profile, config) {
        Ok(d) => named(
            &["url", "port"],
            vec![d.url().into(), (d.port() as i32).into()],
        ),
        Err(error) => error_record(error),
    }
}

/// Stops the dispatcher of `profile`; FALSE if none was running.
#[extendr]
fn native_dispatcher_stop(profile: &str) -> bool {
    registry::stop(profile)
}

/// The five counters, or NULL if the profile is not running.
#[extendr]
fn native_dispatcher_status(profile: &str) -> Robj {
    let Ok(d) = running(profile) else {
        return Robj::from(());
    };
    let s = d.status();
    let counts = [
        s.connections,
        s.cumulative,
        s.awaiting,
        s.executing,
        s.completed,
    ];
    let mut out: Robj =
        Integers::from_values(counts.iter().map(|c| (*c).min(i32::MAX as u64) as i32)).into();
    let _ = out.set_names([
        "connections",
        "cumulative",
        "awaiting",
        "executing",
        "completed",
    ]);
    out
}

/// Queues tasks: `names[i]` runs the task object `tasks[[i]]`, which is
/// serialized here, straight into the buffer the dispatcher keeps.
#[extendr]
fn native_dispatcher_push(
    profile: &str,
    names: Strings,
    tasks: List,
    timeout_seconds: f64,
) -> Robj {
    let d = match running(profile) {
        Ok(d) => d,
        Err(error) => return error_record(error),
    };
    if names.len() != tasks.len() {
        return error_record("names and tasks must have the same length");
    }
    let timeout = duration(timeout_seconds);
    // Serialize every task first, so that a task R cannot serialize leaves
    // none of the batch queued.
    let mut batch = Vec::with_capacity(names.len());
    for (name, (_, task)) in names.iter().zip(tasks.iter()) {
        if name.is_na() {
            return error_record("task names must not be missing");
        }
        match serial::serialize(&task) {
            Ok(payload) => batch.push((name.to_string(), payload)),
            Err(error) => return error_record(format!("task {}: {error}", name.as_ref() as &str)),
        }
    }
    for (name, payload) in batch {
        if let Err(error) = d.push(name, payload, timeout) {
            return error_record(error);
        }
    }
    Robj::from(())
}

/// Waits up to `seconds` until no task is queued or running (`mode =
/// "all"`) or until some task is resolved and not yet taken (`mode =
/// "one"`). TRUE if the condition holds; FALSE if not or not running.
#[extendr]
fn native_dispatcher_wait(profile: &str, mode: &str, seconds: f64) -> Robj {
    let Ok(d) = running(profile) else {
        return false.into();
    };
    let any = mode == "one";
    match wait_sliced(duration(seconds), |slice| {
        d.wait_for(any, slice).then_some(())
    }) {
        Waited::Done(()) => true.into(),
        Waited::TimedOut => d.wait_for(any, Duration::ZERO).into(),
        Waited::Interrupted => interrupt_record(),
    }
}

/// Cancels the named tasks (or all); returns how many were cancelled.
#[extendr]
fn native_dispatcher_cancel(profile: &str, names: Strings, all: bool) -> Robj {
    value_or_record(running(profile).map(|d| d.cancel(&strings(&names), all) as i32))
}

/// Removes the named resolved tasks and returns them as columns.
#[extendr]
fn native_dispatcher_take(profile: &str, names: Strings) -> Robj {
    match running(profile) {
        Ok(d) => columns(&d.take(&strings(&names))),
        Err(_) => columns(&[]),
    }
}

/// Removes up to `max` resolved tasks (oldest first) and returns columns.
#[extendr]
fn native_dispatcher_take_resolved(profile: &str, max: f64) -> Robj {
    let max = if max.is_finite() && max >= 0.0 {
        max as usize
    } else {
        usize::MAX
    };
    match running(profile) {
        Ok(d) => columns(&d.take_resolved(max)),
        Err(_) => columns(&[]),
    }
}

/// The named task's outcome as columns (zero rows if unresolved), leaving it held.
#[extendr]
fn native_dispatcher_peek(profile: &str, name: &str) -> Robj {
    let outcome = running(profile).ok().and_then(|d| d.peek(name));
    let taken: Vec<Taken> = outcome
        .map(|outcome| Taken {
            name: name.to_string(),
            outcome,
        })
        .into_iter()
        .collect();
    columns(&taken)
}

/// A launch credential for `uses` workers, or NULL if not running.
#[extendr]
fn native_dispatcher_credential(profile: &str, uses: f64) -> Robj {
    match running(profile) {
        Ok(d) => d.issue_credential(uses.clamp(1.0, 1e9) as u64).into(),
        Err(_) => Robj::from(()),
    }
}

/// The profile's next L'Ecuyer-CMRG stream as `.Random.seed`, or NULL.
#[extendr]
fn native_dispatcher_stream(profile: &str) -> Robj {
    match running(profile) {
        Ok(d) => Integers::from_values(d.next_stream()).into(),
        Err(_) => Robj::from(()),
    }
}

/// The profile's "task resolved" signal, or NULL.
#[extendr]
fn native_dispatcher_signal(profile: &str) -> Robj {
    match running(profile) {
        Ok(d) => signal_robj(d.signal()),
        Err(_) => Robj::from(()),
    }
}

fn meta(t: &Taken) -> Option<&crew_core::protocol::ResultMeta> {
    t.outcome.meta.as_ref()
}

/// Resolved tasks as whole columns; R builds the result tibble from them
/// and unserializes only `value`. Beyond the result's own fields,
/// `finished` says whether a worker returned the task, and `pid` names the
/// process of the worker a crashed task was on.
fn columns(taken: &[Taken]) -> Robj {
    let text = |f: fn(&crew_core::protocol::ResultMeta) -> Option<&str>| {
        Strings::from_values(taken.iter().map(|t| rstr(meta(t).and_then(f))))
    };
    let any_double = taken
        .iter()
        .any(|t| matches!(meta(t).map(|m| m.seed), Some(Seed::Double(_))));
    let seed: Robj = if any_double {
        Doubles::from_values(taken.iter().map(|t| match meta(t).map(|m| m.seed) {
            Some(Seed::Double(x)) => Rfloat::from(x),
            Some(Seed::Integer(x)) => Rfloat::from(x as f64),
            _ => Rfloat::na(),
        }))
        .into()
    } else {
        Integers::from_values(taken.iter().map(|t| match meta(t).map(|m| m.seed) {
            Some(Seed::Integer(x)) => Rint::from(x),
            _ => Rint::na(),
        }))
        .into()
    };
    // Values are unserialized here; one that cannot be read turns its row
    // into an error rather than failing the whole batch.
    let mut unreadable = vec![None; taken.len()];
    let values = List::from_values(taken.iter().enumerate().map(|(i, t)| match meta(t) {
        Some(_) => serial::unserialize(&t.outcome.payload).unwrap_or_else(|error| {
            unreadable[i] = Some(format!("could not read the task's value: {error}"));
            Robj::from(Rbool::na())
        }),
        None => Robj::from(Rbool::na()),
    }));
    let failed = |i: usize| unreadable[i].is_some();
    let status = Strings::from_values(taken.iter().enumerate().map(|(i, t)| {
        if failed(i) {
            rstr(Some("error"))
        } else {
            rstr(meta(t).map(|m| m.status.as_str()))
        }
    }));
    let error = Strings::from_values(taken.iter().enumerate().map(|(i, t)| {
        rstr(
            unreadable[i]
                .as_deref()
                .or_else(|| meta(t).and_then(|m| m.error.as_deref())),
        )
    }));
    let code = Integers::from_values(taken.iter().enumerate().map(|(i, t)| {
        if failed(i) {
            -1
        } else {
            t.outcome.code
        }
    }));
    let finished = Logicals::from_values(taken.iter().map(|t| meta(t).is_some()));
    let pid = Integers::from_values(taken.iter().map(|t| {
        t.outcome
            .worker_pid
            .and_then(|pid| i32::try_from(pid).ok())
            .map_or(Rint::na(), Rint::from)
    }));
    let names = [
        "name",
        "command",
        "value",
        "status",
        "error",
        "code",
        "trace",
        "warnings",
        "seconds",
        "seed",
        "algorithm",
        "controller",
        "finished",
        "pid",
    ];
    let columns: [Robj; 14] = [
        Strings::from_values(taken.iter().map(|t| rstr(Some(&t.name)))).into(),
        text(|m| m.command.as_deref()).into(),
        values.into(),
        status.into(),
        error.into(),
        code.into(),
        text(|m| m.trace.as_deref()).into(),
        text(|m| m.warnings.as_deref()).into(),
        Doubles::from_values(taken.iter().map(|t| match meta(t).and_then(|m| m.seconds) {
            Some(x) => Rfloat::from(x),
            None => Rfloat::na(),
        }))
        .into(),
        seed,
        text(|m| m.algorithm.as_deref()).into(),
        text(|m| m.controller.as_deref()).into(),
        finished.into(),
        pid.into(),
    ];
    named(&names, columns.into())
}

extendr_module! {
    mod api_dispatcher;
    fn native_dispatcher_start;
    fn native_dispatcher_stop;
    fn native_dispatcher_status;
    fn native_dispatcher_push;
    fn native_dispatcher_wait;
    fn native_dispatcher_cancel;
    fn native_dispatcher_take;
    fn native_dispatcher_take_resolved;
    fn native_dispatcher_peek;
    fn native_dispatcher_credential;
    fn native_dispatcher_stream;
    fn native_dispatcher_signal;
}
