//! TLS for worker connections. The dispatcher holds a certificate and key
//! (made fresh for each start in the automatic mode, or the user's); workers
//! get only certificates, through their call string, and verify the
//! dispatcher with them. A single certificate is pinned exactly; a chain is
//! verified up to its last certificate, the root, including the name or
//! address the worker dials. Optionally the dispatcher also requires each
//! worker to present a certificate signed by a given authority.

mod pem;
mod pinned;
pub mod serving;
mod validity;

pub use pem::{certificates, private_key};

use crate::{Error, Result};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use std::sync::Arc;
use std::time::SystemTime;

pub use tokio_rustls::{TlsAcceptor, TlsConnector};

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Tls(message.into())
}

fn tls_error(context: &str, error: rustls::Error) -> Error {
    invalid(format!("{context}: {error}"))
}

/// A certificate chain (leaf first) with the leaf's private key.
pub struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    chain_pem: String,
}

impl Identity {
    /// A fresh ECDSA P-256 key and self-signed certificate for `host`,
    /// kept in memory only.
    pub fn automatic(host: &str) -> Result<Identity> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| invalid(format!("could not generate a TLS key: {e}")))?;
        let mut names = vec![host.to_string()];
        if host != "localhost" {
            names.push("localhost".to_string());
        }
        let mut params = rcgen::CertificateParams::new(names).map_err(|e| {
            invalid(format!(
                "could not make a TLS certificate for '{host}': {e}"
            ))
        })?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "crew dispatcher");
        let cert = params
            .self_signed(&key)
            .map_err(|e| invalid(format!("could not sign a TLS certificate: {e}")))?;
        let chain_pem = cert.pem();
        Ok(Identity {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::try_from(key.serialize_der())
                .map_err(|e| invalid(format!("could not encode the TLS key: {e}")))?,
            chain_pem,
        })
    }

    /// The user's certificate chain (leaf first, root last) and key for the
    /// dispatcher. The key must match the leaf, every certificate must be
    /// valid now, and a chain of two or more must lead from the leaf to the
    /// root as a server certificate.
    pub fn custom(chain_pem: &str, key_pem: &str, password: Option<&str>) -> Result<Identity> {
        let identity = Identity::worker(chain_pem, key_pem, password)?;
        identity.verify_chain(None)?;
        Ok(identity)
    }

    /// A worker's certificate chain and key for mutual TLS: the key must
    /// match the leaf and every certificate must be valid now; the
    /// dispatcher verifies the chain itself.
    pub fn worker(chain_pem: &str, key_pem: &str, password: Option<&str>) -> Result<Identity> {
        let chain = certificates(chain_pem)?;
        let key = private_key(key_pem, password)?;
        validity::check(&chain, SystemTime::now())?;
        CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider()).map_err(|e| {
            invalid(format!(
                "the private key does not belong to the first certificate: {e}"
            ))
        })?;
        Ok(Identity {
            chain,
            key,
            chain_pem: chain_pem.to_string(),
        })
    }

    /// The certificates workers trust, as PEM text.
    pub fn certificate_pem(&self) -> &str {
        &self.chain_pem
    }

    /// Errors unless workers that dial `host` will accept the certificate.
    pub fn check_host(&self, host: &str) -> Result<()> {
        self.verify_chain(Some(host))
    }

    fn verify_chain(&self, host: Option<&str>) -> Result<()> {
        if self.chain.len() < 2 {
            return Ok(());
        }
        let verifier = chain_verifier(self.chain.last().expect("chain").clone())?;
        let name = server_name(host.unwrap_or("crew.invalid"))?;
        let verified = verifier.verify_server_cert(
            &self.chain[0],
            &self.chain[1..],
            &name,
            &[],
            UnixTime::now(),
        );
        match verified {
            Ok(_) => Ok(()),
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) if host.is_none() => Ok(()),
            Err(error) => Err(match host {
                Some(host) => tls_error(
                    &format!("workers dialling '{host}' would not accept the certificate"),
                    error,
                ),
                None => tls_error(
                    "the certificates do not form a chain from the first to the last",
                    error,
                ),
            }),
        }
    }

    /// The dispatcher's configuration. With `workers_ca`, every worker
    /// must present a certificate signed by one of those certificates.
    pub fn server_config(&self, workers_ca: Option<&str>) -> Result<Arc<ServerConfig>> {
        let builder = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error("TLS setup failed", e))?;
        let builder = match workers_ca {
            None => builder.with_no_client_auth(),
            Some(pem) => {
                let mut roots = RootCertStore::empty();
                for cert in certificates(pem)? {
                    roots
                        .add(cert)
                        .map_err(|e| tls_error("unusable worker certificate authority", e))?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                        .build()
                        .map_err(|e| {
                            invalid(format!("unusable worker certificate authority: {e}"))
                        })?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let config = builder
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| tls_error("unusable certificate or key", e))?;
        Ok(Arc::new(config))
    }
}

fn chain_verifier(root: CertificateDer<'static>) -> Result<Arc<WebPkiServerVerifier>> {
    let mut roots = RootCertStore::empty();
    roots
        .add(root)
        .map_err(|e| tls_error("the last certificate cannot be a root", e))?;
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map_err(|e| invalid(format!("unusable root certificate: {e}")))
}

/// The name a worker expects in the dispatcher's certificate: an IP
/// address or a DNS name.
pub fn server_name(host: &str) -> Result<ServerName<'static>> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(host.to_string())
        .map_err(|_| invalid(format!("'{host}' is not a valid host name for TLS")))
}

/// What a worker needs to dial the dispatcher over TLS.
#[derive(Clone)]
pub struct WorkerTls {
    pub connector: TlsConnector,
    pub name: ServerName<'static>,
}

impl std::fmt::Debug for WorkerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerTls")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The worker's side: trust `trusted_pem` (one certificate is pinned; of
/// several, the last is the root) when dialling `host`, and present
/// `identity` if the dispatcher asks for a worker certificate.
pub fn worker(trusted_pem: &str, host: &str, identity: Option<&Identity>) -> Result<WorkerTls> {
    let trusted = certificates(trusted_pem)?;
    let verifier: Arc<dyn ServerCertVerifier> = if trusted.len() == 1 {
        Arc::new(pinned::PinnedCertificate::new(
            trusted[0].clone(),
            provider(),
        ))
    } else {
        chain_verifier(trusted.last().expect("trusted").clone())?
    };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("TLS setup failed", e))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match identity {
        None => builder.with_no_client_auth(),
        Some(identity) => builder
            .with_client_auth_cert(identity.chain.clone(), identity.key.clone_key())
            .map_err(|e| tls_error("unusable worker certificate or key", e))?,
    };
    Ok(WorkerTls {
        connector: TlsConnector::from(Arc::new(config)),
        name: server_name(host)?,
    })
}

#[cfg(test)]
mod tests;
