//! The worker loop's native side: connect, receive tasks, send results.

use crate::convert::{duration, error_record, interrupt_record, named, wait_sliced, Waited};
use crate::serial;
use crew_core::protocol::{Credential, ResultMeta, Seed};
use crew_core::runtime;
use crew_core::tls;
use crew_core::worker::{address_from_url, follow_parent, Event, WorkerClient, WorkerConfig};
use extendr_api::prelude::*;
use std::time::Duration;

/// An R handle on a worker session.
pub struct WorkerHandle(WorkerClient);

/// A string field, `None` when missing or NA.
fn opt_string(x: &Robj) -> Option<String> {
    let strings = Strings::try_from(x.clone()).ok()?;
    let first = strings.iter().next()?;
    (!first.is_na()).then(|| first.to_string())
}

/// Connects to the dispatcher at `url` with the launch `credential`. Limits
/// are seconds (idle, wall) or counts (max_tasks); Inf means none. With
/// `parent_pid` > 0 the worker also dies with that parent process.
#[extendr]
#[allow(clippy::too_many_arguments)]
fn native_worker_start(
    url: &str,
    credential: &str,
    connect_timeout: f64,
    idle: f64,
    wall: f64,
    max_tasks: f64,
    timers_after: f64,
    exit_signal: i32,
    parent_pid: i32,
    tls_trusted: &str,
    tls_certificates: &str,
    tls_key: &str,
    tls_password: &str,
) -> Robj {
    if let Err(error) = runtime::check_not_forked() {
        return error_record(error);
    }
    let address = match address_from_url(url) {
        Ok(address) => address,
        Err(error) => return error_record(error),
    };
    let Some(credential) = Credential::parse(credential) else {
        return error_record("the worker credential is malformed");
    };
    let tls = match worker_tls(url, &address, tls_trusted, tls_certificates, tls_key, tls_password) {
        Ok(tls) => tls,
        Err(error) => return error_record(error),
    };
    if parent_pid > 0 && !follow_parent(parent_pid as u32, exit_signal.max(1)) {
        return error_record("the process that launched this worker has already exited");
    }
    let config = WorkerConfig {
        address,
        credential,
        connect_timeout: duration(connect_timeout).unwrap_or(Duration::from_secs(60)),
        idle: duration(idle),
        wall: duration(wall),
        max_tasks: (max_tasks.is_finite() && max_tasks >= 0.0).then_some(max_tasks as u64),
        timers_after: if timers_after.is_finite() && timers_after > 0.0 {
            timers_after as u64
        } else {
            0
        },
        heartbeat_interval: Duration::from_secs(1),
        heartbeat_timeout: Duration::from_secs(10),
        exit_signal: (exit_signal > 0).then_some(exit_signal),
        tls,
    };
    match WorkerClient::start(config) {
        Ok(client) => ExternalPtr::new(WorkerHandle(client)).into(),
        Err(error) => error_record(error),
    }
}

/// The worker's TLS settings for a `tls+tcp://` URL: trust `trusted` and,
/// if given, present a certificate chain and key of its own.
fn worker_tls(
    url: &str,
    address: &str,
    trusted: &str,
    certificates: &str,
    key: &str,
    password: &str,
) -> crew_core::Result<Option<tls::WorkerTls>> {
    if !url.starts_with("tls+tcp://") {
        return Ok(None);
    }
    if trusted.trim().is_empty() {
        return Err(crew_core::Error::InvalidArgument(
            "a tls+tcp:// URL needs the controller's TLS certificate".into(),
        ));
    }
    let identity = if certificates.is_empty() {
        None
    } else {
        Some(tls::Identity::worker(certificates, key, crate::api_tls::password(password))?)
    };
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    tls::worker(trusted, host, identity.as_ref()).map(Some)
}

/// Waits up to `seconds` for the next event: `list(type = "task", id,
/// name, payload)`, `list(type = "ready", stream)`, `list(type = "exit",
/// code, reason)`, or NULL on timeout.
#[extendr]
fn native_worker_next(worker: ExternalPtr<WorkerHandle>, seconds: f64) -> Robj {
    match wait_sliced(duration(seconds), |slice| worker.0.next_event(slice)) {
        Waited::Done(Event::Task { id, name, payload }) => {
            let task = match serial::unserialize(&payload) {
                Ok(task) => task,
                Err(error) => Robj::from(format!("could not read the task: {error}")),
            };
            named(
                &["type", "id", "name", "task"],
                vec!["task".into(), (id as f64).into(), name.into(), task],
            )
        }
        Waited::Done(Event::Ready { stream }) => named(
            &["type", "stream"],
            vec!["ready".into(), Integers::from_values(stream).into()],
        ),
        Waited::Done(Event::Exit(reason)) => named(
            &["type", "code", "reason"],
            vec![
                "exit".into(),
                reason.code().into(),
                reason.describe().into(),
            ],
        ),
        Waited::TimedOut => Robj::from(()),
        Waited::Interrupted => interrupt_record(),
    }
}

/// Sends a task's result. `metadata` is the list of result fields made by
/// the R worker loop; `value` is the task's value, serialized here. FALSE
/// if the connection is gone.
#[extendr]
fn native_worker_send(
    worker: ExternalPtr<WorkerHandle>,
    id: f64,
    metadata: List,
    value: Robj,
) -> Robj {
    // One pass over the list: extendr's dollar() evaluates R's `$`, which
    // costs several microseconds per field on every task.
    let mut meta = ResultMeta {
        status: "error".into(),
        code: -1,
        command: None,
        error: None,
        trace: None,
        warnings: None,
        seconds: None,
        seed: Seed::Missing,
        algorithm: None,
        controller: None,
    };
    for (name, field) in metadata.iter() {
        match name {
            "status" => meta.status = opt_string(&field).unwrap_or_else(|| "error".into()),
            "code" => meta.code = field.as_integer().unwrap_or(-1),
            "command" => meta.command = opt_string(&field),
            "error" => meta.error = opt_string(&field),
            "trace" => meta.trace = opt_string(&field),
            "warnings" => meta.warnings = opt_string(&field),
            "seconds" => meta.seconds = field.as_real().filter(|x| !x.is_nan()),
            "seed" => {
                meta.seed = match (field.as_integer(), field.as_real()) {
                    (Some(x), _) if x != i32::MIN => Seed::Integer(x),
                    (None, Some(x)) if !x.is_nan() => Seed::Double(x),
                    _ => Seed::Missing,
                }
            }
            "algorithm" => meta.algorithm = opt_string(&field),
            "controller" => meta.controller = opt_string(&field),
            _ => {}
        }
    }
    let payload = match serial::serialize(&value) {
        Ok(payload) => payload,
        Err(error) => {
            meta.status = "error".into();
            meta.code = -1;
            meta.error = Some(format!("the task's value could not be sent: {error}"));
            serial::serialize(&Robj::from(Rbool::na())).unwrap_or_default()
        }
    };
    worker.0.send_result(id as u64, meta, payload).into()
}

extendr_module! {
    mod api_worker;
    fn native_worker_start;
    fn native_worker_next;
    fn native_worker_send;
}
