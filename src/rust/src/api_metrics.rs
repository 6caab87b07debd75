//! Resource metrics of a worker process: start the sampler, name the
//! running task, stop.

use crate::convert::{duration, error_record};
use crew_core::metrics::{Metrics, Sink};
use extendr_api::prelude::*;

/// An R handle on a running sampler; the sampler stops when R collects it.
pub struct MetricsHandle(Metrics);

/// Starts sampling this process every `seconds` into `path`: a directory
/// (one new file for this process), `/dev/stdout` or `/dev/stderr`.
#[extendr]
fn native_metrics_start(path: &str, seconds: f64) -> Robj {
    let Some(interval) = duration(seconds).filter(|d| !d.is_zero()) else {
        return error_record("seconds_interval must be a positive number");
    };
    let started = Sink::from_path(path).and_then(|sink| Metrics::start(sink, interval));
    match started {
        Ok(metrics) => ExternalPtr::new(MetricsHandle(metrics)).into(),
        Err(error) => error_record(error),
    }
}

/// The task `name` is running from now on.
#[extendr]
fn native_metrics_task_started(metrics: ExternalPtr<MetricsHandle>, name: &str) {
    metrics.0.task_started(name);
}

/// No task is running from now on.
#[extendr]
fn native_metrics_task_finished(metrics: ExternalPtr<MetricsHandle>) {
    metrics.0.task_finished();
}

/// Writes a last sample and stops the sampler.
#[extendr]
fn native_metrics_stop(metrics: ExternalPtr<MetricsHandle>) {
    metrics.0.stop();
}

extendr_module! {
    mod api_metrics;
    fn native_metrics_start;
    fn native_metrics_task_started;
    fn native_metrics_task_finished;
    fn native_metrics_stop;
}
