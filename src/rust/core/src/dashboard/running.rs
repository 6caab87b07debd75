//! The dashboards of this process, by URL, so that R can stop one and the
//! package's unloading can stop them all.

use super::server::{Dashboard, Settings};
use crate::Result;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

fn table() -> MutexGuard<'static, HashMap<String, Arc<Dashboard>>> {
    static TABLE: OnceLock<Mutex<HashMap<String, Arc<Dashboard>>>> = OnceLock::new();
    TABLE
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Starts a dashboard and keeps it until [`stop`] or [`stop_all`].
pub fn start(settings: Settings) -> Result<Arc<Dashboard>> {
    let dashboard = Arc::new(Dashboard::start(settings)?);
    table().insert(dashboard.url().to_string(), dashboard.clone());
    Ok(dashboard)
}

/// Stops the dashboard at `url`; false if there is none.
pub fn stop(url: &str) -> bool {
    let removed = table().remove(url);
    match removed {
        Some(dashboard) => {
            dashboard.stop();
            true
        }
        None => false,
    }
}

/// Stops every dashboard.
pub fn stop_all() {
    let all: Vec<Arc<Dashboard>> = table().drain().map(|(_, d)| d).collect();
    for dashboard in all {
        dashboard.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dashboard_is_stopped_by_its_url_once() {
        let d = start(Settings {
            host: "127.0.0.1".to_string(),
            port: 0,
            controllers: Vec::new(),
        })
        .unwrap();
        let url = d.url().to_string();
        assert!(stop(&url));
        assert!(!stop(&url));
        assert!(std::net::TcpStream::connect(("127.0.0.1", d.port())).is_err());
    }
}
