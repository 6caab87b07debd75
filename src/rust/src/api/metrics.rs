//! Resource metrics of a worker process: start the sampler, name the
//! running task, stop. The sampler's handle is one of this package's
//! tagged external pointers, so any other object is refused with an error.

use crate::r::convert::{core_error, duration, invalid_argument};
use crate::r::sexp;
use crew_core::metrics::{Label, Metrics, Sink};
use extendr_api::prelude::*;

/// An R handle on a running sampler; the sampler stops when R collects it.
pub struct MetricsHandle(Metrics);

thread_local! {
    static TAG: crate::r::ffi::SEXP = sexp::symbol(c"crew_metrics");
}

fn metrics(x: &Robj) -> std::result::Result<&Metrics, Robj> {
    sexp::robj_external_ref::<MetricsHandle>(x, TAG.with(|t| *t))
        .map(|handle| &handle.0)
        .ok_or_else(|| invalid_argument("metrics must be a metrics sampler of this package"))
}

/// Starts sampling this process every `seconds` into `path`: a directory
/// (one new file for this process), `/dev/stdout` or `/dev/stderr`. Each
/// line carries `version` and the process's `name`.
#[extendr]
fn native_metrics_start(path: &str, seconds: f64, version: &str, name: &str) -> Robj {
    let Some(interval) = duration(seconds).filter(|d| !d.is_zero()) else {
        return invalid_argument("seconds_interval must be a positive number");
    };
    let label = Label {
        version: version.to_string(),
        name: name.to_string(),
    };
    let started = Sink::from_path(path).and_then(|sink| Metrics::start(sink, interval, label));
    match started {
        // SAFETY: the pointer was just made; extendr protects it from here on.
        Ok(m) => unsafe {
            Robj::from_sexp(sexp::external(MetricsHandle(m), TAG.with(|t| *t), true))
        },
        Err(error) => core_error(error),
    }
}

/// The task `name` is running from now on.
#[extendr]
fn native_metrics_task_started(metrics_: Robj, name: &str) -> Robj {
    match metrics(&metrics_) {
        Ok(m) => {
            m.task_started(name);
            ().into()
        }
        Err(record) => record,
    }
}

/// No task is running from now on.
#[extendr]
fn native_metrics_task_finished(metrics_: Robj) -> Robj {
    match metrics(&metrics_) {
        Ok(m) => {
            m.task_finished();
            ().into()
        }
        Err(record) => record,
    }
}

/// Writes a last sample and stops the sampler.
#[extendr]
fn native_metrics_stop(metrics_: Robj) -> Robj {
    match metrics(&metrics_) {
        Ok(m) => {
            m.stop();
            ().into()
        }
        Err(record) => record,
    }
}

extendr_module! {
    mod api_metrics;
    fn native_metrics_start;
    fn native_metrics_task_started;
    fn native_metrics_task_finished;
    fn native_metrics_stop;
}
