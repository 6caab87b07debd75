//! The dispatcher as R sees it: one per compute profile, addressed by the
//! profile's name.

use crate::api::signal_handles::signal_robj;
use crate::r::convert::{core_error, duration, invalid_argument, named, password, running};
use crew_core::dispatcher::{Config, Timing};
use crew_core::tls;
use crew_core::{registry, runtime};
use extendr_api::prelude::*;

/// Starts listening for workers under `profile`; returns `list(url, port)`.
/// `welcome` is what every worker receives before its first task (the
/// controller's serialization settings, serialized, or nothing).
#[extendr]
#[allow(clippy::too_many_arguments)]
fn native_dispatcher_start(
    profile: &str,
    host: &str,
    port: i32,
    tls_mode: &str,
    tls_certificates: &str,
    tls_key: &str,
    tls_password: &str,
    tls_workers_ca: &str,
    welcome: Raw,
) -> Robj {
    if let Err(error) = runtime::check_not_forked() {
        return core_error(error);
    }
    let Ok(port) = u16::try_from(port) else {
        return invalid_argument("port must be between 0 and 65535");
    };
    // The core's timings; workers learn them in their welcome.
    let timing = Timing::default();
    let settings = tls::serving::Settings {
        mode: tls_mode,
        certificates: tls_certificates,
        key: tls_key,
        password: password(tls_password),
        workers_ca: (!tls_workers_ca.is_empty()).then_some(tls_workers_ca),
    };
    let served = match tls::serving::serve(&settings, host) {
        Ok(served) => served,
        Err(error) => return core_error(error),
    };
    let config = Config {
        host: host.to_string(),
        port,
        timing,
        tls: served.config,
        certificate: served.certificate,
        welcome: welcome.as_slice().to_vec(),
        tls_settings: served.description,
    };
    match registry::start(profile, config) {
        Ok(d) => named(
            &["url", "port"],
            vec![d.url().into(), (d.port() as i32).into()],
        ),
        Err(error) => core_error(error),
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

/// A launch credential for `uses` workers that connect within `seconds`
/// (Inf: no limit), or NULL if not running.
#[extendr]
fn native_dispatcher_credential(profile: &str, uses: f64, seconds: f64) -> Robj {
    match running(profile) {
        Ok(d) => d
            .issue_credential_within(uses.clamp(1.0, 1e9) as u64, duration(seconds))
            .into(),
        Err(_) => Robj::from(()),
    }
}

/// How many workers of each launch credential in `tokens` never
/// connected (NA for NA), or NULL if not running.
#[extendr]
fn native_dispatcher_unspent(profile: &str, tokens: Strings) -> Robj {
    match running(profile) {
        Ok(d) => {
            let counts: Vec<Rint> = tokens
                .iter()
                .map(|token| {
                    if token.is_na() {
                        Rint::na()
                    } else {
                        Rint::from(d.unspent(token).min(i32::MAX as u64) as i32)
                    }
                })
                .collect();
            Integers::from_values(counts).into()
        }
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

extendr_module! {
    mod api_dispatcher;
    fn native_dispatcher_start;
    fn native_dispatcher_stop;
    fn native_dispatcher_status;
    fn native_dispatcher_credential;
    fn native_dispatcher_unspent;
    fn native_dispatcher_stream;
    fn native_dispatcher_signal;
}
