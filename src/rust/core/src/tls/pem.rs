//! Reading PEM certificates and private keys, including keys encrypted
//! with a password (PKCS#8 PBES2, as `openssl pkcs8 -topk8` writes them).

use crate::{Error, Result};
use rustls::pki_types::pem::{PemObject, SectionKind};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

const ENCRYPTED_LABEL: &str = "ENCRYPTED PRIVATE KEY";

fn invalid(message: impl Into<String>) -> Error {
    Error::Tls(message.into())
}

/// Every certificate in `pem`, in order. At least one is required.
pub fn certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>> {
    let mut out = Vec::new();
    for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem.as_bytes()) {
        let (kind, der) =
            section.map_err(|e| invalid(format!("malformed PEM certificate: {e}")))?;
        if kind == SectionKind::Certificate {
            out.push(CertificateDer::from(der));
        }
    }
    if out.is_empty() {
        return Err(invalid("no PEM certificate found"));
    }
    Ok(out)
}

/// The private key in `pem`: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), or
/// encrypted PKCS#8 decrypted with `password`.
pub fn private_key(pem: &str, password: Option<&str>) -> Result<PrivateKeyDer<'static>> {
    if pem.contains(&format!("-----BEGIN {ENCRYPTED_LABEL}-----")) {
        return encrypted_private_key(pem, password);
    }
    PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| invalid(format!("no usable PEM private key found: {e}")))
}

fn encrypted_private_key(pem: &str, password: Option<&str>) -> Result<PrivateKeyDer<'static>> {
    let Some(password) = password else {
        return Err(invalid(
            "the private key is encrypted but no password was given",
        ));
    };
    let (label, der) = pkcs8::der::pem::decode_vec(pem.trim().as_bytes())
        .map_err(|e| invalid(format!("malformed encrypted PEM private key: {e}")))?;
    if label != ENCRYPTED_LABEL {
        return Err(invalid(format!(
            "unexpected PEM section '{label}' in the key file"
        )));
    }
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice())
        .map_err(|e| invalid(format!("malformed encrypted private key: {e}")))?;
    let document = info.decrypt(password.as_bytes()).map_err(|_| {
        invalid("could not decrypt the private key: wrong password or unsupported encryption")
    })?;
    Ok(PrivatePkcs8KeyDer::from(document.as_bytes().to_vec()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_and_certificate_read_back() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        assert_eq!(certificates(&cert.pem()).unwrap().len(), 1);
        assert!(private_key(&key.serialize_pem(), None).is_ok());
        assert!(certificates("hello").is_err());
        assert!(private_key("hello", None).is_err());
    }

    #[test]
    fn an_encrypted_key_needs_its_password() {
        let pem =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(private_key(pem, None).is_err());
        assert!(private_key(pem, Some("x")).is_err());
    }
}
