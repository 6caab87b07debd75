//! The dispatcher's side of a controller's TLS settings: the mode switch
//! of `crew_tls()`, kept here so that callers pass the settings through.

use super::Identity;
use crate::{Error, Result};
use rustls::ServerConfig;
use std::sync::Arc;

/// A controller's TLS settings, as its `crew_tls()` object holds them.
pub struct Settings<'a> {
    /// "none", "automatic" or "custom".
    pub mode: &'a str,
    /// PEM certificates, leaf first (custom mode).
    pub certificates: &'a str,
    /// PEM private key (custom mode).
    pub key: &'a str,
    pub password: Option<&'a str>,
    /// PEM certificates of the authority that signs worker certificates,
    /// for mutual TLS.
    pub workers_ca: Option<&'a str>,
}

/// How a dispatcher serves workers under some settings.
pub struct Served {
    pub config: Option<Arc<ServerConfig>>,
    /// The certificate workers trust, as PEM text.
    pub certificate: Option<String>,
    /// What dispatchers sharing a port must have in common.
    pub description: String,
}

/// The server side of `settings` for a dispatcher that workers reach at
/// `host`: a fresh identity in the automatic mode, the user's (which must
/// name `host`) in the custom mode, nothing without TLS.
pub fn serve(settings: &Settings, host: &str) -> Result<Served> {
    let identity = match settings.mode {
        "none" => None,
        "automatic" => Some(Identity::automatic(host)?),
        "custom" => {
            let identity =
                Identity::custom(settings.certificates, settings.key, settings.password)?;
            identity.check_host(host)?;
            Some(identity)
        }
        other => {
            return Err(Error::InvalidArgument(format!(
                "tls mode must be \"none\", \"automatic\" or \"custom\", not \"{other}\""
            )))
        }
    };
    let config = identity
        .as_ref()
        .map(|i| i.server_config(settings.workers_ca))
        .transpose()?;
    Ok(Served {
        config,
        certificate: identity.map(|i| i.certificate_pem().to_string()),
        description: format!(
            "{}\n{}\n{}",
            settings.mode,
            settings.certificates,
            settings.workers_ca.unwrap_or("")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(mode: &str) -> Settings<'_> {
        Settings {
            mode,
            certificates: "",
            key: "",
            password: None,
            workers_ca: None,
        }
    }

    #[test]
    fn each_mode_serves_as_crew_tls_describes() {
        let plain = serve(&settings("none"), "127.0.0.1").unwrap();
        assert!(plain.config.is_none() && plain.certificate.is_none());
        let automatic = serve(&settings("automatic"), "127.0.0.1").unwrap();
        assert!(automatic.config.is_some());
        assert!(automatic.certificate.unwrap().contains("BEGIN CERTIFICATE"));
        assert_ne!(plain.description, automatic.description);
        assert!(matches!(
            serve(&settings("custom"), "127.0.0.1"),
            Err(Error::Tls(_))
        ));
        match serve(&settings("sideways"), "127.0.0.1") {
            Err(Error::InvalidArgument(message)) => assert!(message.contains("sideways")),
            _ => panic!("an unknown mode was accepted"),
        }
    }
}
