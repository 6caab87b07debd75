//! The R binding of the crew core: conversions only. Every function here is
//! called from `R/native.R`, runs on R's main thread, never raises an R
//! error for an expected failure (it returns an error record instead), and
//! waits in short slices so that Ctrl-C always works.

mod api_dispatcher;
mod api_metrics;
mod api_process;
mod api_signal;
mod api_tls;
mod api_util;
mod api_worker;
mod convert;
mod serial;

use extendr_api::prelude::*;

extendr_module! {
    mod crew;
    use api_dispatcher;
    use api_metrics;
    use api_process;
    use api_signal;
    use api_tls;
    use api_util;
    use api_worker;
}
