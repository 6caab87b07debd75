//! Small process-wide services: random names, the monotonic clock and
//! shutting everything down when the package unloads.

use crate::r::convert::invalid_argument;
use extendr_api::prelude::*;
use std::sync::OnceLock;
use std::time::Instant;

/// `n` random bytes as one string of `2n` lowercase hex characters.
#[extendr]
fn native_random_hex(n: i32) -> Robj {
    if n < 1 {
        return invalid_argument("n must be a positive integer");
    }
    crew_core::secure_random::hex(n as usize).into()
}

/// Monotonic time in seconds since the first call in this process.
#[extendr]
fn native_monotonic_seconds() -> f64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    // Start well above zero so that differences with 0 read as "long ago".
    1000.0 + BASE.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// `x` as the package's own writer serializes it, or NULL where it leaves
/// `x` to R's serializer (for the tests, which compare it with
/// `serialize(x, NULL, xdr = FALSE)`).
#[extendr]
fn native_serialize(x: Robj) -> Robj {
    // SAFETY: `x` is an argument of this call, alive while it runs, and only
    // read.
    match crate::serial::serialize_natively(unsafe { x.get() }) {
        Some(bytes) => Robj::from(Raw::from_bytes(&bytes)),
        None => Robj::from(()),
    }
}

/// `list(x)` for the object the package's own reader reads from `bytes`,
/// or NULL where it leaves them to R's reader (for the tests).
#[extendr]
fn native_unserialize(bytes: Raw) -> Robj {
    match crate::serial::read::read(bytes.as_slice()) {
        Some(x) => {
            // SAFETY: `x` was just read and is unprotected; extendr protects it
            // from here on.
            let x = unsafe { Robj::from_sexp(x) };
            Robj::from(List::from_values([x]))
        }
        None => Robj::from(()),
    }
}

/// The status and error text of result rows with these codes and no
/// message from a worker: `list(status, error)`, from the core's table.
#[extendr]
fn native_code_outcome(code: Integers) -> Robj {
    let codes: Vec<Option<i32>> = code.iter().map(|c| c.into()).collect();
    let status = Strings::from_values(
        codes
            .iter()
            .map(|c| c.map_or("error", crew_core::protocol::codes::status)),
    );
    let error = Strings::from_values(codes.iter().map(|c| {
        match c.and_then(crew_core::protocol::codes::error) {
            Some(text) => Rstr::from(text.as_str()),
            None => Rstr::na(),
        }
    }));
    crate::r::convert::named(&["status", "error"], vec![status.into(), error.into()])
}

/// Stops every dashboard and terminates every dispatcher of this process.
#[extendr]
fn native_shutdown() {
    crew_core::dashboard::stop_all();
    crew_core::registry::stop_all();
}

/// Addresses of interfaces that are up, IPv4 first:
/// `list(name, address, loopback, ipv6)`.
#[extendr]
fn native_interfaces() -> Robj {
    let all = crew_core::net::interface_addresses();
    crate::r::convert::named(
        &["name", "address", "loopback", "ipv6"],
        vec![
            Strings::from_values(all.iter().map(|a| a.name.as_str())).into(),
            Strings::from_values(all.iter().map(|a| a.ip.to_string())).into(),
            Logicals::from_values(all.iter().map(|a| a.loopback)).into(),
            Logicals::from_values(all.iter().map(|a| a.ip.is_ipv6())).into(),
        ],
    )
}

/// The public addresses `host` resolves to (see `crew_core::net::is_public`).
#[extendr]
fn native_public_addresses(host: &str) -> Strings {
    Strings::from_values(
        crew_core::net::public_addresses(host)
            .iter()
            .map(|ip| ip.to_string()),
    )
}

/// Whether this process's standard error is thrown away.
#[extendr]
fn native_stderr_discarded() -> bool {
    crew_core::os::stderr_discarded()
}

extendr_module! {
    mod api_util;
    fn native_stderr_discarded;
    fn native_public_addresses;
    fn native_random_hex;
    fn native_monotonic_seconds;
    fn native_shutdown;
    fn native_serialize;
    fn native_unserialize;
    fn native_code_outcome;
    fn native_interfaces;
}
