//! What the never-panics tests share: how many cases to run, how to
//! mutate a valid file, and an allocator that measures how much a reader
//! holds at its peak (so a small file that asks for a huge allocation
//! fails a test instead of the machine).
//!
//! Used by `histories/tests/never_panics.rs` and, through `#[path]`, by the
//! root package's `tests/readers_never_panic.rs`, so both fuzz with the
//! same edits.

#![allow(dead_code)] // each test binary uses its own part

use rand::Rng;
use rand_pcg::Pcg64;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Cases per generator: `default`, or `RAFTSTORM_FUZZ_CASES` when set (for
/// a longer run: `RAFTSTORM_FUZZ_CASES=200000 cargo test --release …`).
pub fn cases(default: usize) -> usize {
    match std::env::var("RAFTSTORM_FUZZ_CASES") {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("RAFTSTORM_FUZZ_CASES={text:?}: expected a number")),
        Err(_) => default,
    }
}

/// Numbers that sit on the edges validation cares about: zero, node ids
/// just outside a cluster, widths of integers, negatives.
const EDGE_NUMBERS: &[&str] = &[
    "0",
    "1",
    "4",
    "42",
    "63",
    "64",
    "65",
    "99",
    "1001",
    "3600001",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "-1",
    "1e9",
    "0.5",
];

/// One to three random edits of `text`: truncations, bit flips, random
/// bytes, inserted brackets and quotes, deleted or repeated spans,
/// duplicated or dropped lines, splices with another valid file, and
/// numbers replaced by edge values.
pub fn mutate(rng: &mut Pcg64, text: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = text.to_vec();
    for _ in 0..rng.gen_range(1..=3) {
        let at = rng.gen_range(0..=bytes.len());
        match rng.gen_range(0..10) {
            0 => bytes.truncate(at),
            1 if at < bytes.len() => bytes[at] ^= 1 << rng.gen_range(0..8),
            2 if at < bytes.len() => bytes[at] = rng.gen(),
            1..=3 => {
                let insert = [
                    "[", "]", "{", "}", "(", ")", "\"", "\\", "#", ":", " ", "\n", "\t", "1.5",
                    "\u{1}", ",", "null",
                ];
                let fragment = insert[rng.gen_range(0..insert.len())];
                bytes.splice(at..at, fragment.bytes());
            }
            4 => {
                let end = rng.gen_range(at..=bytes.len().min(at + 12));
                bytes.drain(at..end);
            }
            5 => {
                let end = rng.gen_range(at..=bytes.len().min(at + 30));
                let span = bytes[at..end].to_vec();
                bytes.splice(at..at, span);
            }
            6 => duplicate_or_drop_line(rng, &mut bytes),
            7 if !others.is_empty() => {
                let other = &others[rng.gen_range(0..others.len())];
                let from = rng.gen_range(0..=other.len());
                bytes.truncate(at);
                bytes.extend_from_slice(&other[from..]);
            }
            _ => replace_number(rng, &mut bytes),
        }
    }
    bytes
}

/// Repeats a random line right after itself, or removes it.
fn duplicate_or_drop_line(rng: &mut Pcg64, bytes: &mut Vec<u8>) {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1),
        )
        .filter(|&start| start < bytes.len())
        .collect();
    if starts.is_empty() {
        return;
    }
    let start = starts[rng.gen_range(0..starts.len())];
    let end = bytes[start..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| start + i + 1);
    if rng.gen_bool(0.7) {
        let line = bytes[start..end].to_vec();
        bytes.splice(end..end, line);
    } else {
        bytes.drain(start..end);
    }
}

/// Replaces a random run of digits with an edge number.
fn replace_number(rng: &mut Pcg64, bytes: &mut Vec<u8>) {
    let digits: Vec<usize> = (0..bytes.len())
        .filter(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_digit()))
        .collect();
    if digits.is_empty() {
        return;
    }
    let start = digits[rng.gen_range(0..digits.len())];
    let end = start
        + bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
    let number = EDGE_NUMBERS[rng.gen_range(0..EDGE_NUMBERS.len())];
    bytes.splice(start..end, number.bytes());
}

/// An allocator that counts, per thread, the bytes live and the peak
/// since [`reset_peak`]: the test harness runs tests on several threads,
/// and a reader runs on one.
pub struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grew(size: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().saturating_add(size);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn shrank(size: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(size)));
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters only observe sizes.
// A counting allocator must implement GlobalAlloc, which is unsafe by
// definition; it only forwards to the system allocator.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        shrank(layout.size());
        unsafe { System.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            shrank(layout.size());
            grew(new_size);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the most bytes this thread held at
/// once above what it held before.
pub fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(base));
    let result = f();
    let peak = PEAK.with(Cell::get);
    (result, peak.saturating_sub(base))
}

/// The most a reader may hold for an input of `len` bytes: a generous
/// multiple of the input (records become structs and strings) plus a
/// constant for buffers. A reader that sizes anything by a number it read
/// instead of by what it parsed goes far past this.
pub fn allowed_bytes(len: usize) -> usize {
    len * 256 + (1 << 20)
}
