//! The dashboards `crew_dashboard()` opens: started for a list of
//! controllers, stopped by URL (all of them when the package unloads, see
//! `native_shutdown()`).

use crate::r::convert::{core_error, invalid_argument, named};
use crew_core::dashboard::{self, Settings};
use crew_core::runtime;
use extendr_api::prelude::*;

/// Serves a dashboard of the controllers `names` (of compute profiles
/// `profiles`, in the same order) on `host` and `port` (0: any free
/// port); returns `list(url, token, port)`.
#[extendr]
fn native_dashboard_start(names: Strings, profiles: Strings, host: &str, port: i32) -> Robj {
    if let Err(error) = runtime::check_not_forked() {
        return core_error(error);
    }
    if names.len() != profiles.len() || names.is_empty() {
        return invalid_argument("names and profiles must be nonempty and of the same length");
    }
    if names.iter().chain(profiles.iter()).any(|s| s.is_na()) {
        return invalid_argument("names and profiles must not be missing");
    }
    let Ok(port) = u16::try_from(port) else {
        return invalid_argument("port must be between 0 and 65535");
    };
    if host.is_empty() {
        return invalid_argument("host must be a nonempty character string");
    }
    let controllers = names
        .iter()
        .zip(profiles.iter())
        .map(|(name, profile)| (name.to_string(), profile.to_string()))
        .collect();
    let settings = Settings {
        host: host.to_string(),
        port,
        controllers,
    };
    match dashboard::start(settings) {
        Ok(d) => named(
            &["url", "token", "port"],
            vec![d.url().into(), d.token().into(), i32::from(d.port()).into()],
        ),
        Err(error) => core_error(error),
    }
}

/// Stops the dashboard at `url`; FALSE if none runs there.
#[extendr]
fn native_dashboard_stop(url: &str) -> bool {
    dashboard::stop(url)
}

extendr_module! {
    mod api_dashboard;
    fn native_dashboard_start;
    fn native_dashboard_stop;
}
