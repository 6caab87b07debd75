//! The dispatcher and workers over TLS on loopback: tasks round trip,
//! workers refuse a dispatcher they do not trust, and peers that speak the
//! wrong protocol on either kind of port get nothing and disturb nothing.

mod common;

use common::{spawn_echo_worker as echo_worker, timing, wait_for};
use crew_core::dispatcher::{Config, Dispatcher};
use crew_core::protocol::ExitReason;
use crew_core::tls::{self, Identity};
use crew_core::worker::{address_from_url, Event, WorkerClient, WorkerConfig};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn tls_dispatcher(identity: &Identity, workers_ca: Option<&str>) -> Dispatcher {
    common::dispatcher_with(
        Some(identity.server_config(workers_ca).unwrap()),
        Some(identity.certificate_pem().to_string()),
    )
}

fn worker_config(
    d: &Dispatcher,
    token: &str,
    trusted: &str,
    me: Option<&Identity>,
) -> WorkerConfig {
    let tls = tls::worker(trusted, "127.0.0.1", me).unwrap();
    common::worker_config_with(d, token, Some(tls))
}

#[test]
fn tasks_round_trip_over_automatic_tls() {
    let identity = Identity::automatic("127.0.0.1").unwrap();
    let d = tls_dispatcher(&identity, None);
    assert!(d.url().starts_with("tls+tcp://127.0.0.1:"));
    assert_eq!(d.certificate(), Some(identity.certificate_pem()));
    let token = d.issue_credential(1);
    let worker = echo_worker(worker_config(&d, &token, identity.certificate_pem(), None));
    for i in 0..200u32 {
        d.push(
            Some(&format!("t{i}")),
            vec![7u8; 1 + i as usize * 100],
            None,
            None,
        )
        .unwrap();
    }
    wait_for(|| d.status().completed == 200);
    let taken = d.take_resolved(usize::MAX);
    assert_eq!(taken.len(), 200);
    assert!(taken
        .iter()
        .all(|t| t.outcome.payload.to_vec().unwrap().iter().all(|b| *b == 7)));
    d.terminate();
    assert_eq!(worker.join().unwrap(), ExitReason::Normal);
}

#[test]
fn a_worker_refuses_a_dispatcher_it_does_not_trust() {
    let identity = Identity::automatic("127.0.0.1").unwrap();
    let d = tls_dispatcher(&identity, None);
    let token = d.issue_credential(1);
    let impostor = Identity::automatic("127.0.0.1").unwrap();
    let worker =
        WorkerClient::start(worker_config(&d, &token, impostor.certificate_pem(), None)).unwrap();
    assert!(matches!(
        worker.next_event(Duration::from_secs(5), || {}),
        Some(Event::Exit(ExitReason::Untrusted))
    ));
    // The credential was never shown, so it still admits the real worker.
    let real = echo_worker(worker_config(&d, &token, identity.certificate_pem(), None));
    wait_for(|| d.status().connections == 1);
    d.terminate();
    assert_eq!(real.join().unwrap(), ExitReason::Normal);
}

#[test]
fn wrong_protocols_get_nothing_and_disturb_nothing() {
    let identity = Identity::automatic("127.0.0.1").unwrap();
    let d = tls_dispatcher(&identity, None);
    let token = d.issue_credential(1);
    let worker = echo_worker(worker_config(&d, &token, identity.certificate_pem(), None));
    wait_for(|| d.status().connections == 1);
    d.push(Some("slow"), vec![1, 2, 3], None, None).unwrap();
    let address = address_from_url(&d.url()).unwrap();
    // Plain bytes on the TLS port: the handshake fails and the peer is dropped.
    let mut plain = TcpStream::connect(&address).unwrap();
    plain.write_all(&[0xff; 4096]).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let mut buffer = [0u8; 64];
    let read = plain.read(&mut buffer).unwrap_or(0);
    assert!(read < 64);
    // A silent peer is dropped at the handshake deadline.
    let mut silent = TcpStream::connect(&address).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let start = Instant::now();
    let _ = silent.read(&mut buffer);
    assert!(start.elapsed() < Duration::from_secs(3));
    wait_for(|| d.status().completed == 1);
    assert_eq!(d.status().connections, 1);
    assert_eq!(d.status().cumulative, 1);
    d.terminate();
    assert_eq!(worker.join().unwrap(), ExitReason::Normal);
}

#[test]
fn a_tls_worker_on_a_plain_port_gets_nothing() {
    let d = Dispatcher::start(Config {
        host: "127.0.0.1".into(),
        port: 0,
        timing: timing(),
        tls: None,
        certificate: None,
        welcome: Vec::new(),
        tls_settings: String::new(),
    })
    .unwrap();
    let token = d.issue_credential(1);
    let identity = Identity::automatic("127.0.0.1").unwrap();
    let worker =
        WorkerClient::start(worker_config(&d, &token, identity.certificate_pem(), None)).unwrap();
    let event = worker.next_event(Duration::from_secs(10), || {});
    assert!(matches!(event, Some(Event::Exit(_))), "{event:?}");
    assert_eq!(d.status().connections, 0);
    d.terminate();
}

#[test]
fn mutual_tls_needs_a_worker_certificate_from_the_authority() {
    let identity = Identity::automatic("127.0.0.1").unwrap();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let worker_key = rcgen::KeyPair::generate().unwrap();
    let worker_cert = rcgen::CertificateParams::new(vec!["worker".to_string()])
        .unwrap()
        .signed_by(&worker_key, &issuer)
        .unwrap();
    let me = Identity::worker(
        &format!("{}{}", worker_cert.pem(), ca_cert.pem()),
        &worker_key.serialize_pem(),
        None,
    )
    .unwrap();
    let d = tls_dispatcher(&identity, Some(&ca_cert.pem()));
    let token = d.issue_credential(2);
    let anonymous =
        WorkerClient::start(worker_config(&d, &token, identity.certificate_pem(), None)).unwrap();
    let event = anonymous.next_event(Duration::from_secs(10), || {});
    assert!(
        matches!(event, Some(Event::Exit(ExitReason::Rejected))),
        "{event:?}"
    );
    let member = echo_worker(worker_config(
        &d,
        &token,
        identity.certificate_pem(),
        Some(&me),
    ));
    wait_for(|| d.status().connections == 1);
    d.push(Some("t"), vec![1], None, None).unwrap();
    wait_for(|| d.status().completed == 1);
    d.terminate();
    assert_eq!(member.join().unwrap(), ExitReason::Normal);
}
