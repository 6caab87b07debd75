//! TLS as R sees it: checking a user's certificates and key, and the
//! certificate that workers of a running profile must trust.

use crate::r::convert::{core_error, password, running};
use crew_core::tls::Identity;
use extendr_api::prelude::*;

/// Checks PEM certificates (leaf first) and a PEM key: they parse, the key
/// belongs to the leaf, the chain holds and every certificate is valid
/// now. NULL if so, otherwise an error record. An empty `password` means
/// none.
#[extendr]
fn native_tls_check(certificates: &str, key: &str, password_text: &str) -> Robj {
    match Identity::custom(certificates, key, password(password_text)) {
        Ok(_) => Robj::from(()),
        Err(error) => core_error(error),
    }
}

/// The PEM certificate that workers of `profile` trust, or NULL if the
/// profile is not running or does not use TLS.
#[extendr]
fn native_tls_certificate(profile: &str) -> Robj {
    match running(profile)
        .ok()
        .and_then(|d| d.certificate().map(str::to_string))
    {
        Some(pem) => Robj::from(pem),
        None => Robj::from(()),
    }
}

extendr_module! {
    mod api_tls;
    fn native_tls_check;
    fn native_tls_certificate;
}
