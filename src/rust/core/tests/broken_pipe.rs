//! A write to a connection whose peer reset it fails with an error and
//! never raises SIGPIPE, on the runtime's threads and on a thread outside
//! the runtime that holds the signal back while it writes (R's, when it
//! delivers tasks or stops a dispatcher). In R, the host program, the
//! signal's handler raises an R error, which jumps across the writer's
//! frames and brings the session down (seen with TLS workers behind the
//! fault proxy's resets). Rust programs such as these tests ignore SIGPIPE
//! from the start, so each test first puts back the default action, which
//! ends the process.
#![cfg(unix)]

use std::io::{ErrorKind, IoSlice};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

fn default_broken_pipe_action() {
    // SAFETY: these tests install no handler of their own; SIG_DFL is a
    // valid action for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// A connection whose peer has reset it.
async fn reset_connection() -> TcpStream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stream = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (peer, _) = listener.accept().await.unwrap();
    peer.set_zero_linger().unwrap();
    drop(peer);
    stream
}

/// Writes until the connection is found shut, where SIGPIPE would come
/// (the first write after the reset only reports it). Vectored writes,
/// which TLS makes, are the ones the kernel may answer with the signal.
async fn write_until_broken(stream: &mut TcpStream) -> Vec<ErrorKind> {
    let chunk = [7u8; 4096];
    let mut errors = Vec::new();
    for _ in 0..1000 {
        let slices = [IoSlice::new(&chunk), IoSlice::new(&chunk)];
        match stream.write_vectored(&slices).await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(1)).await,
            Err(error) => {
                errors.push(error.kind());
                if error.kind() == ErrorKind::BrokenPipe {
                    break;
                }
            }
        }
    }
    errors
}

#[test]
fn a_runtime_thread_gets_an_error_not_sigpipe() {
    default_broken_pipe_action();
    let runtime = crew_core::runtime::runtime().unwrap();
    // Spawned, so that the writes happen on a runtime thread, not here.
    let writes = runtime.spawn(async {
        let mut stream = reset_connection().await;
        write_until_broken(&mut stream).await
    });
    let errors = runtime.block_on(writes).unwrap();
    assert!(errors.contains(&ErrorKind::BrokenPipe), "{errors:?}");
}

#[test]
fn a_thread_that_holds_sigpipe_back_gets_an_error_and_no_signal_later() {
    default_broken_pipe_action();
    let runtime = crew_core::runtime::runtime().unwrap();
    let mut stream = runtime.block_on(reset_connection());
    let errors = {
        let _held = crew_core::os::hold_broken_pipe_signal();
        runtime.block_on(write_until_broken(&mut stream))
    };
    assert!(errors.contains(&ErrorKind::BrokenPipe), "{errors:?}");
    // The mask is back as it was: a signal left pending would end the
    // process now.
    crew_core::os::deliver_pending_signals();
    std::thread::sleep(Duration::from_millis(50));
}
