//! Freeing large buffers away from the thread that is waiting on them.
//!
//! Returning 100 MB to the kernel takes several milliseconds (every page is
//! unmapped and uncharged). A buffer that dies where a result is being
//! delivered, or just before a worker starts its task, would add that time
//! to the task's round trip, so such buffers are handed to one thread that
//! does nothing else.

use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};

/// Buffers at least this large are freed in the background.
pub const LARGE: usize = 1 << 20;

type Garbage = Box<dyn Send>;

fn freer() -> Option<&'static Mutex<Sender<Garbage>>> {
    static FREER: OnceLock<Option<Mutex<Sender<Garbage>>>> = OnceLock::new();
    FREER
        .get_or_init(|| {
            let (sender, receiver) = channel::<Garbage>();
            std::thread::Builder::new()
                .name("crew-free".into())
                .spawn(move || {
                    for garbage in receiver {
                        drop(garbage);
                    }
                })
                .ok()
                .map(|_| Mutex::new(sender))
        })
        .as_ref()
}

/// Drops `value` on the background thread when `bytes` is large, here
/// otherwise (or if that thread could not be started).
pub fn discard<T: Send + 'static>(value: T, bytes: usize) {
    if bytes < LARGE {
        return;
    }
    let Some(freer) = freer() else {
        return;
    };
    let sender = freer.lock().unwrap_or_else(|e| e.into_inner());
    let _ = sender.send(Box::new(value));
}

/// Drops a byte buffer, in the background when it is large.
pub fn discard_bytes(bytes: Vec<u8>) {
    let capacity = bytes.capacity();
    discard(bytes, capacity);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    #[test]
    fn large_values_are_freed_elsewhere_and_small_ones_here() {
        let small = Arc::new(vec![0u8; 16]);
        discard(small.clone(), 16);
        assert_eq!(Arc::strong_count(&small), 1);

        let large = Arc::new(vec![0u8; LARGE]);
        discard(large.clone(), LARGE);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&large) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(Arc::strong_count(&large), 1);
    }
}
