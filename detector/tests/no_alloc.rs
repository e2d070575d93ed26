//! The detector loop allocates nothing per event once warmed up: a counting global
//! allocator watches the decoder, the reorder buffer, the line store and the pack over a
//! long generated stream (process/network/file events over many hosts and entities,
//! near-miss sequences, escaped strings, bad lines).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use eqlc_detector::gen::{generate, GenConfig};
use eqlc_detector::handpack::SeedPack;
use eqlc_detector::{Detector, Options};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: defers every call to `System`, which upholds the `GlobalAlloc` contract; the
// counter is a relaxed atomic increment with no other effect.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same layout contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr`/`layout` come from `System` (see `alloc`).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const DAY: i64 = 86_400_000_000_000;

fn stream(seed: u64, shells: u32, start_ns: i64) -> Vec<u8> {
    let cfg = GenConfig {
        events: 20_000,
        seed,
        shells,
        near_misses: 60,
        hosts: 30,
        rate: 300.0,
        start_ns,
        ..GenConfig::default()
    };
    let mut out = Vec::new();
    generate(&cfg, &mut out, None).unwrap();
    // sprinkle bad lines and escaped strings
    let mut with_bad = Vec::with_capacity(out.len() + 100_000);
    for (i, line) in out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        with_bad.extend_from_slice(line);
        with_bad.push(b'\n');
        if i % 500 == 7 {
            with_bad
                .extend_from_slice(b"{\"@timestamp\":\"2024-05-01T00:00:00Z\",\"broken\":[1,}\n");
        }
    }
    with_bad
}

fn measure(opts: Options) -> (u64, u64) {
    let t0 = 1_714_521_600_000_000_000;
    let warm_a = stream(1, 30, t0 - 2 * DAY);
    let warm_b = stream(2, 0, t0 - DAY);
    let measured = stream(2, 0, t0);
    let mut det = Detector::new(
        SeedPack::with_capacity(50_000),
        opts,
        std::io::sink(),
        std::io::sink(),
    );
    for c in warm_a.chunks(64 * 1024) {
        det.feed(c);
    }
    for c in warm_b.chunks(64 * 1024) {
        det.feed(c);
    }
    let before_events = det.stats().events;
    let chunks: Vec<&[u8]> = measured.chunks(64 * 1024).collect();
    let a0 = ALLOCS.load(Ordering::Relaxed);
    for c in &chunks {
        det.feed(c);
    }
    let allocs = ALLOCS.load(Ordering::Relaxed) - a0;
    let s = det.finish().unwrap();
    assert!(
        s.total_alerts() >= 30,
        "warm-up stream alerts: {}",
        s.total_alerts()
    );
    assert!(s.bad_lines > 0);
    (allocs, s.events - before_events)
}

#[test]
fn steady_state_allocates_nothing() {
    let (allocs, events) = measure(Options {
        keep_bytes: 4 << 20,
        ..Options::default()
    });
    assert!(events >= 20_000);
    assert_eq!(allocs, 0, "{allocs} allocations over {events} events");

    let (allocs, events) = measure(Options {
        keep_bytes: 4 << 20,
        reorder_window_ns: 2_000_000_000,
        ..Options::default()
    });
    assert!(events >= 19_000);
    assert_eq!(
        allocs, 0,
        "{allocs} allocations over {events} events (reorder window)"
    );
}
