//! A peer's announced sizes cost memory only as its bytes arrive: a frame
//! that announces a huge payload and then stops must not make the reader
//! allocate what was announced. This binary counts allocations itself, so
//! it holds only these tests.

use crew_core::protocol::{read_frame, write_frame, Frame, Limits, Message, VERSION};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
}

/// The system allocator, noting the largest block each thread asks for.
struct Tracking;

unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Tracking = Tracking;

/// Reads one frame from `bytes` and returns it with the largest single
/// allocation made while reading.
fn read_measured(bytes: &[u8], limits: Limits) -> (crew_core::Result<Option<Frame>>, usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    LARGEST.with(|largest| largest.set(0));
    let mut reader = bytes;
    let result = rt.block_on(read_frame(&mut reader, limits));
    (result, LARGEST.with(Cell::get))
}

/// A Heartbeat frame announcing `announced` payload bytes, followed by
/// `sent` of them.
fn truncated_frame(announced: u64, sent: usize) -> Vec<u8> {
    let header = [6u8]; // Message::Heartbeat
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&(5 + header.len() as u64 + announced).to_le_bytes());
    bytes.push(VERSION);
    bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&header);
    bytes.resize(bytes.len() + sent, 0xab);
    bytes
}

const MIB: usize = 1 << 20;

#[test]
fn announced_payload_of_160_mib_with_four_bytes_sent() {
    // Found by the frame fuzz target: a Hello announcing 168 MB of payload.
    let input = [
        0, 0, 8, 10, 0, 0, 0, 0, 1, 3, 0, 0, 0, 1, 0, 0, 255, 10, 59, 36,
    ];
    let (result, largest) = read_measured(&input, Limits::AUTHENTICATED);
    assert!(result.is_err());
    assert!(largest < MIB, "allocated {largest} bytes for 4 received");
}

#[test]
fn announced_payload_at_the_limit_costs_what_was_sent() {
    let announced = Limits::AUTHENTICATED.max_frame - 6;
    let sent = 3 * MIB;
    let (result, largest) = read_measured(&truncated_frame(announced, sent), Limits::AUTHENTICATED);
    assert!(result.is_err());
    assert!(
        largest <= 2 * sent,
        "allocated {largest} bytes for {sent} received"
    );
}

#[test]
fn complete_large_payload_is_read_whole_without_slack() {
    let payload: Vec<u8> = (0..5 * MIB + 17).map(|i| (i % 251) as u8).collect();
    let mut bytes = Vec::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(write_frame(&mut bytes, &Message::Heartbeat, &payload))
        .unwrap();
    let (result, largest) = read_measured(&bytes, Limits::AUTHENTICATED);
    let frame = result.unwrap().unwrap();
    assert_eq!(frame.payload, payload);
    assert_eq!(frame.payload.capacity(), payload.len());
    assert!(
        largest <= payload.len(),
        "allocated {largest} bytes for {}",
        payload.len()
    );
}
