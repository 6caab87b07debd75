use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Authority {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pem: String,
}

fn authority(name: &str, parent: Option<&Authority>) -> Authority {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let cert = match parent {
        None => params.self_signed(&key).unwrap(),
        Some(parent) => params.signed_by(&key, &parent.issuer).unwrap(),
    };
    let pem = cert.pem();
    let issuer = rcgen::Issuer::new(
        params,
        rcgen::KeyPair::from_pem(&key.serialize_pem()).unwrap(),
    );
    Authority { issuer, pem }
}

fn leaf(names: &[&str], issuer: &Authority) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    let cert = params.signed_by(&key, &issuer.issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

async fn round_trip(server: Arc<ServerConfig>, worker: WorkerTls) -> std::io::Result<Vec<u8>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let acceptor = TlsAcceptor::from(server);
    let serve = tokio::spawn(async move {
        let (stream, _) = listener.accept().await?;
        let mut tls = acceptor.accept(stream).await?;
        tls.write_all(b"secret task").await?;
        tls.shutdown().await?;
        Ok::<(), std::io::Error>(())
    });
    let stream = TcpStream::connect(address).await?;
    let mut tls = worker
        .connector
        .connect(worker.name.clone(), stream)
        .await?;
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await?;
    let _ = serve.await;
    Ok(out)
}

#[tokio::test]
async fn automatic_identity_is_pinned_by_workers() {
    let start = std::time::Instant::now();
    let identity = Identity::automatic("127.0.0.1").unwrap();
    assert!(start.elapsed() < std::time::Duration::from_millis(100));
    let worker = worker(identity.certificate_pem(), "127.0.0.1", None).unwrap();
    let out = round_trip(identity.server_config(None).unwrap(), worker)
        .await
        .unwrap();
    assert_eq!(out, b"secret task");
    // Another automatic identity is refused, even for the same host.
    let other = Identity::automatic("127.0.0.1").unwrap();
    let worker = super::worker(other.certificate_pem(), "127.0.0.1", None).unwrap();
    assert!(round_trip(identity.server_config(None).unwrap(), worker)
        .await
        .is_err());
}

#[tokio::test]
async fn custom_chain_is_verified_to_its_root_and_host() {
    let root = authority("root", None);
    let intermediate = authority("intermediate", Some(&root));
    let (leaf_pem, leaf_key) = leaf(&["127.0.0.1"], &intermediate);
    let chain = format!("{leaf_pem}{}{}", intermediate.pem, root.pem);
    let identity = Identity::custom(&chain, &leaf_key, None).unwrap();
    identity.check_host("127.0.0.1").unwrap();
    assert!(identity.check_host("10.9.8.7").is_err());
    let worker = worker(&chain, "127.0.0.1", None).unwrap();
    let out = round_trip(identity.server_config(None).unwrap(), worker)
        .await
        .unwrap();
    assert_eq!(out, b"secret task");
    // A worker with a different root refuses the dispatcher.
    let stranger = authority("stranger", None);
    let wrong = format!("{}{}", stranger.pem, stranger.pem);
    let worker = super::worker(&wrong, "127.0.0.1", None).unwrap();
    assert!(round_trip(identity.server_config(None).unwrap(), worker)
        .await
        .is_err());
    // So does a worker that dials a name the certificate does not carry.
    let worker = super::worker(&chain, "localhost", None).unwrap();
    assert!(round_trip(identity.server_config(None).unwrap(), worker)
        .await
        .is_err());
}

#[test]
fn custom_identity_rejects_mismatched_keys_and_broken_chains() {
    let root = authority("root", None);
    let (leaf_pem, _) = leaf(&["127.0.0.1"], &root);
    let (_, other_key) = leaf(&["127.0.0.1"], &root);
    let chain = format!("{leaf_pem}{}", root.pem);
    let error = Identity::custom(&chain, &other_key, None).err().unwrap();
    assert!(error.to_string().contains("does not belong"));
    let stranger = authority("stranger", None);
    let (leaf_pem, leaf_key) = leaf(&["127.0.0.1"], &root);
    let broken = format!("{leaf_pem}{}", stranger.pem);
    let error = Identity::custom(&broken, &leaf_key, None).err().unwrap();
    assert!(error.to_string().contains("chain"), "{error}");
}

#[test]
fn expired_certificates_are_reported() {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2000, 1, 1);
    params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    let error = Identity::custom(&cert.pem(), &key.serialize_pem(), None)
        .err()
        .unwrap();
    assert!(error.to_string().contains("expired"), "{error}");
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.not_before = rcgen::date_time_ymd(3000, 1, 1);
    params.not_after = rcgen::date_time_ymd(3001, 1, 1);
    let cert = params.self_signed(&key).unwrap();
    let error = Identity::custom(&cert.pem(), &key.serialize_pem(), None)
        .err()
        .unwrap();
    assert!(error.to_string().contains("not valid yet"), "{error}");
}

#[tokio::test]
async fn mutual_tls_admits_only_workers_of_the_authority() {
    let identity = Identity::automatic("127.0.0.1").unwrap();
    let workers_ca = authority("workers", None);
    let server = identity.server_config(Some(&workers_ca.pem)).unwrap();
    let (cert, key) = leaf(&["worker"], &workers_ca);
    let member = Identity::worker(&format!("{cert}{}", workers_ca.pem), &key, None).unwrap();
    let worker = worker(identity.certificate_pem(), "127.0.0.1", Some(&member)).unwrap();
    assert_eq!(
        round_trip(server.clone(), worker).await.unwrap(),
        b"secret task"
    );
    let anonymous = super::worker(identity.certificate_pem(), "127.0.0.1", None).unwrap();
    assert!(round_trip(server.clone(), anonymous).await.is_err());
    let outsider_ca = authority("outsiders", None);
    let (cert, key) = leaf(&["worker"], &outsider_ca);
    let outsider = Identity::worker(&format!("{cert}{}", outsider_ca.pem), &key, None).unwrap();
    let worker = super::worker(identity.certificate_pem(), "127.0.0.1", Some(&outsider)).unwrap();
    assert!(round_trip(server, worker).await.is_err());
}
