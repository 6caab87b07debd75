//! A TCP proxy that makes network faults on command, for the fault tests
//! and the soak: the kernel here has no netem, so faults are made in user
//! space. Workers dial the proxy, which forwards each connection to the
//! client; a control socket takes one command per line and answers one
//! line.
//!
//!   fault_proxy --listen 10.213.1.1:0 --target 10.213.1.1:5000
//!   (prints `listen=ADDR control=ADDR`, then serves until stdin closes)
//!
//! Commands (`i` picks a live connection: `i` modulo their number):
//!   count              live connections
//!   delay MS           every forwarded chunk waits MS first (0 to stop)
//!   stall i MS         connection i forwards nothing for MS
//!   blackhole i        connection i forwards nothing, ever, and stays open
//!   truncate i         connection i forwards half of its next chunk, then closes
//!   reset i            connection i is aborted with a TCP reset
//! Answers: `ok N` (N: live connections, or the picked connection's number)
//! or `none` when there is no connection to pick, `error ...` otherwise.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the control socket can do to one connection.
struct Faults {
    /// Forward nothing before this many milliseconds after `epoch`.
    stall_until_ms: AtomicU64,
    blackholed: AtomicBool,
    truncate: AtomicBool,
    /// Ending by a reset: no FIN may go out before the RST.
    reset: AtomicBool,
    /// Ends both directions (after a reset or a truncation).
    end: watch::Sender<bool>,
    /// Second handles on the connection's two sockets, for SO_LINGER 0
    /// before a reset; dropped then, so that the pumps' handles are the
    /// last and closing them sends the RST.
    sockets: Mutex<Vec<TcpStream>>,
}

impl Faults {
    fn new() -> Faults {
        Faults {
            stall_until_ms: AtomicU64::new(0),
            blackholed: AtomicBool::new(false),
            truncate: AtomicBool::new(false),
            reset: AtomicBool::new(false),
            end: watch::channel(false).0,
            sockets: Mutex::new(Vec::new()),
        }
    }

    fn finish(&self) {
        self.end.send_replace(true);
    }
}

/// Resolves once the connection's end was called for.
async fn ended(mut end: watch::Receiver<bool>) {
    let _ = end.wait_for(|ended| *ended).await;
}

struct Proxy {
    epoch: Instant,
    delay_ms: AtomicU64,
    next_id: AtomicU64,
    connections: Mutex<BTreeMap<u64, Arc<Faults>>>,
}

impl Proxy {
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn pick(&self, index: u64) -> Option<(u64, Arc<Faults>)> {
        let connections = self.connections.lock().unwrap();
        if connections.is_empty() {
            return None;
        }
        let at = (index % connections.len() as u64) as usize;
        connections
            .iter()
            .nth(at)
            .map(|(id, faults)| (*id, faults.clone()))
    }

    fn command(&self, line: &str) -> String {
        let words: Vec<&str> = line.split_whitespace().collect();
        let number = |i: usize| words.get(i).and_then(|w| w.parse::<u64>().ok());
        let count = self.connections.lock().unwrap().len();
        match (words.first().copied(), number(1), number(2)) {
            (Some("count"), _, _) => format!("ok {count}"),
            (Some("delay"), Some(ms), _) => {
                self.delay_ms.store(ms, Ordering::SeqCst);
                format!("ok {count}")
            }
            (Some(verb @ ("stall" | "blackhole" | "truncate" | "reset")), Some(index), ms) => {
                let Some((id, faults)) = self.pick(index) else {
                    return "none".into();
                };
                match (verb, ms) {
                    ("stall", Some(ms)) => {
                        faults
                            .stall_until_ms
                            .store(self.now_ms() + ms, Ordering::SeqCst);
                    }
                    ("stall", None) => return "error stall needs i and MS".into(),
                    ("blackhole", _) => faults.blackholed.store(true, Ordering::SeqCst),
                    ("truncate", _) => faults.truncate.store(true, Ordering::SeqCst),
                    _ => {
                        let sockets = std::mem::take(&mut *faults.sockets.lock().unwrap());
                        for socket in &sockets {
                            let _ = socket.set_zero_linger();
                        }
                        drop(sockets);
                        faults.reset.store(true, Ordering::SeqCst);
                        faults.finish();
                    }
                }
                format!("ok {id}")
            }
            _ => format!("error unknown command: {line}"),
        }
    }
}

/// Forwards one direction until either side ends or a fault ends it. The
/// write half then sends its FIN, unless the connection is being reset.
async fn pump(
    proxy: Arc<Proxy>,
    faults: Arc<Faults>,
    from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
) {
    forward(proxy, &faults, from, &mut to).await;
    if faults.reset.load(Ordering::SeqCst) {
        to.forget();
    }
}

async fn forward(
    proxy: Arc<Proxy>,
    faults: &Faults,
    mut from: tokio::net::tcp::OwnedReadHalf,
    to: &mut tokio::net::tcp::OwnedWriteHalf,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    let end = faults.end.subscribe();
    loop {
        let read = tokio::select! {
            read = from.read(&mut buffer) => read,
            _ = ended(end.clone()) => return,
        };
        let n = match read {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let delay = proxy.delay_ms.load(Ordering::SeqCst);
        let stall = faults
            .stall_until_ms
            .load(Ordering::SeqCst)
            .saturating_sub(proxy.now_ms());
        let wait = Duration::from_millis(delay.max(stall));
        if !wait.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = ended(end.clone()) => return,
            }
        }
        if faults.blackholed.load(Ordering::SeqCst) {
            // Silent from now on: read nothing more, close nothing.
            ended(end).await;
            return;
        }
        if *end.borrow() {
            return;
        }
        if faults.truncate.swap(false, Ordering::SeqCst) {
            let _ = to.write_all(&buffer[..n.div_ceil(2)]).await;
            faults.finish();
            return;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    // One side ended: end the other direction as well.
    faults.finish();
}

/// The stream and a second handle on its socket.
fn with_second_handle(stream: TcpStream) -> std::io::Result<(TcpStream, TcpStream)> {
    let stream = stream.into_std()?;
    let second = TcpStream::from_std(stream.try_clone()?)?;
    Ok((TcpStream::from_std(stream)?, second))
}

async fn serve(proxy: Arc<Proxy>, inbound: TcpStream, target: String) {
    let Ok(outbound) = TcpStream::connect(&target).await else {
        return;
    };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    let (Ok((inbound, inbound_second)), Ok((outbound, outbound_second))) =
        (with_second_handle(inbound), with_second_handle(outbound))
    else {
        return;
    };
    let faults = Arc::new(Faults::new());
    *faults.sockets.lock().unwrap() = vec![inbound_second, outbound_second];
    let id = proxy.next_id.fetch_add(1, Ordering::SeqCst);
    proxy.connections.lock().unwrap().insert(id, faults.clone());
    let (in_read, in_write) = inbound.into_split();
    let (out_read, out_write) = outbound.into_split();
    let up = tokio::spawn(pump(proxy.clone(), faults.clone(), in_read, out_write));
    let down = tokio::spawn(pump(proxy.clone(), faults.clone(), out_read, in_write));
    let _ = up.await;
    let _ = down.await;
    proxy.connections.lock().unwrap().remove(&id);
}

async fn control(proxy: Arc<Proxy>, listener: TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        let proxy = proxy.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let answer = proxy.command(&line);
                if write
                    .write_all(format!("{answer}\n").as_bytes())
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| -> Option<String> {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let (Some(listen), Some(target)) = (value("--listen"), value("--target")) else {
        eprintln!("usage: fault_proxy --listen ADDR --target ADDR [--control ADDR]");
        std::process::exit(2);
    };
    let control_address = value("--control").unwrap_or_else(|| "127.0.0.1:0".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let listener = TcpListener::bind(&listen).await.expect("--listen");
        let controller = TcpListener::bind(&control_address)
            .await
            .expect("--control");
        println!(
            "listen={} control={}",
            listener.local_addr().unwrap(),
            controller.local_addr().unwrap()
        );
        let proxy = Arc::new(Proxy {
            epoch: Instant::now(),
            delay_ms: AtomicU64::new(0),
            next_id: AtomicU64::new(1),
            connections: Mutex::new(BTreeMap::new()),
        });
        tokio::spawn(control(proxy.clone(), controller));
        let accept = async {
            while let Ok((inbound, _)) = listener.accept().await {
                tokio::spawn(serve(proxy.clone(), inbound, target.clone()));
            }
        };
        // The proxy lives as long as whoever started it holds its stdin.
        let stdin_closed = tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
        });
        tokio::select! {
            _ = accept => {}
            _ = stdin_closed => {}
        }
    });
    std::process::exit(0);
}
