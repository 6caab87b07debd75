//! The fault proxy (tests/support/fault_proxy.rs) does what each command
//! says, between a real client and a real echo server.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An echo server on loopback.
fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buffer = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buffer) {
                    if n == 0 || stream.write_all(&buffer[..n]).is_err() {
                        return;
                    }
                }
            });
        }
    });
    address
}

struct Proxy {
    child: Child,
    listen: String,
    control: BufReader<TcpStream>,
}

impl Proxy {
    fn start(target: &str) -> Proxy {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fault_proxy"))
            .args(["--listen", "127.0.0.1:0", "--target", target])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the fault_proxy binary");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(name))
                .unwrap()
                .to_string()
        };
        let control = BufReader::new(TcpStream::connect(field("control=")).unwrap());
        Proxy {
            child,
            listen: field("listen="),
            control,
        }
    }

    fn command(&mut self, line: &str) -> String {
        writeln!(self.control.get_mut(), "{line}").unwrap();
        let mut answer = String::new();
        self.control.read_line(&mut answer).unwrap();
        answer.trim().to_string()
    }

    fn connect(&mut self) -> TcpStream {
        let before: usize = self.command("count")[3..].parse().unwrap();
        let stream = TcpStream::connect(&self.listen).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.command("count") != format!("ok {}", before + 1) {
            assert!(
                Instant::now() < deadline,
                "the proxy never saw the connection"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        stream
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn round_trip(stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    stream.write_all(bytes)?;
    let mut out = vec![0u8; bytes.len()];
    stream.read_exact(&mut out)?;
    Ok(out)
}

#[test]
fn the_proxy_forwards_stalls_truncates_resets_and_black_holes() {
    let mut proxy = Proxy::start(&echo_server());

    let mut plain = proxy.connect();
    assert_eq!(round_trip(&mut plain, b"hello").unwrap(), b"hello");

    assert_eq!(proxy.command("stall 0 400"), "ok 1");
    let start = Instant::now();
    assert_eq!(round_trip(&mut plain, b"late").unwrap(), b"late");
    assert!(
        start.elapsed() >= Duration::from_millis(350),
        "the stall held the bytes"
    );
    drop(plain);

    let deadline = Instant::now() + Duration::from_secs(5);
    while proxy.command("count") != "ok 0" {
        assert!(
            Instant::now() < deadline,
            "a closed connection stays counted"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(proxy.command("reset 0"), "none");

    let mut cut = proxy.connect();
    proxy.command("truncate 0");
    cut.write_all(b"0123456789").unwrap();
    // Half the chunk reaches the server and the connection ends, before
    // the echo can come back.
    let mut got = Vec::new();
    let _ = cut.read_to_end(&mut got);
    assert!(got.is_empty() || got == b"01234", "got {got:?}");

    let mut reset = proxy.connect();
    proxy.command("reset 0");
    let mut buffer = [0u8; 8];
    let error = reset
        .read(&mut buffer)
        .expect_err("a reset connection reads an error");
    assert_eq!(error.kind(), ErrorKind::ConnectionReset);

    let mut silent = proxy.connect();
    proxy.command("blackhole 0");
    silent
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    silent.write_all(b"anyone?").unwrap();
    let error = silent.read(&mut buffer).expect_err("nothing comes back");
    assert!(matches!(
        error.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut
    ));
    assert_eq!(
        proxy.command("count"),
        "ok 1",
        "and the connection stays open"
    );

    assert!(proxy.command("delay 0").starts_with("ok"));
    assert!(proxy.command("nonsense").starts_with("error"));
}
