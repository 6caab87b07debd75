//! Certificate validity periods, so that an expired or not yet valid
//! certificate is reported when the configuration is made rather than as a
//! failed handshake on a remote worker.

use crate::{Error, Result};
use rustls::pki_types::CertificateDer;
use std::time::SystemTime;
use x509_cert::der::Decode;

/// Errors unless every certificate is valid at `now`.
pub fn check(chain: &[CertificateDer<'_>], now: SystemTime) -> Result<()> {
    for (index, der) in chain.iter().enumerate() {
        let cert = x509_cert::Certificate::from_der(der.as_ref())
            .map_err(|e| Error::Tls(format!("certificate {} cannot be parsed: {e}", index + 1)))?;
        let validity = &cert.tbs_certificate.validity;
        let not_before = validity.not_before.to_system_time();
        let not_after = validity.not_after.to_system_time();
        let from = validity.not_before.to_date_time();
        let until = validity.not_after.to_date_time();
        let subject = cert.tbs_certificate.subject.to_string();
        if now < not_before {
            return Err(Error::Tls(format!(
                "certificate {} ({subject}) is not valid yet: valid from {from}",
                index + 1
            )));
        }
        if now > not_after {
            return Err(Error::Tls(format!(
                "certificate {} ({subject}) has expired: valid until {until}",
                index + 1
            )));
        }
    }
    Ok(())
}
