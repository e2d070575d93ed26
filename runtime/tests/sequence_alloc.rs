//! Steady-state zero-allocation check for [`SequenceEngine`]: after a warm-up, a long
//! stream over many keys (more than the capacity, so entries are evicted and expire;
//! multi-valued keys, `until`, missing-event stages with held candidates) must not
//! allocate. A counting global allocator is installed for this test binary only.

use eqlc_runtime::sequence::{SequenceEngine, SequenceSpec, StageInput, StageSpec};
use eqlc_runtime::{EventRef, Value};
use eqlc_test_support::Counting;

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    eqlc_test_support::thread_allocations()
}

/// One synthetic event: passes filters in `mask` (bit f = filter f); key field 0 holds
/// one or two host names, key field 1 an integer.
struct Ev<'a> {
    mask: u32,
    hosts: [&'a str; 2],
    nhosts: usize,
    user: i64,
}

impl StageInput for Ev<'_> {
    fn matches(&self, f: usize) -> bool {
        self.mask & (1 << f) != 0
    }
    fn key_values(&self, _f: usize, k: usize, out: &mut dyn FnMut(Value<'_>)) {
        if k == 0 {
            for h in &self.hosts[..self.nhosts] {
                out(Value::Str(h));
            }
        } else {
            out(Value::Int(self.user));
            out(Value::Float(self.user as f64)); // same key, collapses
        }
    }
    fn key_optional(&self, _f: usize, _k: usize) -> bool {
        false
    }
}

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// Feeds `n` events; returns (matches, allocations during the last `n - warm` events).
fn drive(
    spec: &SequenceSpec,
    capacity: usize,
    nhosts: usize,
    step_ns: u64,
    nfilters: u64,
    warm: usize,
    n: usize,
) -> (u64, u64, SequenceEngine) {
    let hosts: Vec<String> = (0..nhosts).map(|i| format!("host-{i:05}")).collect();
    let mut engine = SequenceEngine::new(spec, capacity);
    engine.preallocate();
    let mut rng = Lcg(42);
    let mut matches = 0u64;
    let mut out = |m: eqlc_runtime::sequence::SequenceMatch<'_>| {
        matches += 1;
        assert!(!m.events.is_empty());
    };
    let mut before = 0;
    let mut ts = 0i64;
    for i in 0..n {
        if i == warm {
            before = allocs();
        }
        ts += (rng.next() % step_ns) as i64;
        let r = rng.next();
        let nh = 1 + (r % 4 == 0) as usize;
        let h0 = (rng.next() % nhosts as u64) as usize;
        let h1 = (h0 + 1 + (r % 7) as usize) % nhosts;
        let ev = Ev {
            mask: 1 << (rng.next() % nfilters),
            hosts: [&hosts[h0], &hosts[h1]],
            nhosts: nh,
            user: (r % 3) as i64,
        };
        engine.on_event(
            EventRef {
                handle: i as u64,
                ts,
            },
            &ev,
            &mut out,
        );
    }
    let during = allocs() - before;
    engine.flush(&mut out);
    (matches, during, engine)
}

#[test]
fn steady_state_does_not_allocate() {
    // sequence by host, user with maxspan=50ms [f0] [f1] [f1] [f2] until [f3]
    static STAGES: [StageSpec; 4] = [
        StageSpec {
            filter: 0,
            missing: false,
        },
        StageSpec {
            filter: 1,
            missing: false,
        },
        StageSpec {
            filter: 1,
            missing: false,
        },
        StageSpec {
            filter: 2,
            missing: false,
        },
    ];
    let spec = SequenceSpec {
        stages: &STAGES,
        keys: 2,
        maxspan: Some(50_000_000),
        until_filter: Some(3),
    };
    let (matches, during, engine) = drive(&spec, 256, 300, 20_000, 4, 200_000, 600_000);
    let st = engine.stats();
    eprintln!("plain: {matches} matches, stats {st:?}, {during} allocations in steady state");
    assert!(matches > 0, "the stream should produce matches");
    assert!(
        st.evictions > 0 && st.expired > 0,
        "the stream should exercise eviction and expiry: {st:?}"
    );
    assert_eq!(during, 0, "SequenceEngine allocated in steady state");
}

#[test]
fn steady_state_with_missing_stages_does_not_allocate() {
    // sequence by host, user with maxspan=20ms ![f3] [f0] ![f2] [f1] ![f3]
    static STAGES: [StageSpec; 5] = [
        StageSpec {
            filter: 3,
            missing: true,
        },
        StageSpec {
            filter: 0,
            missing: false,
        },
        StageSpec {
            filter: 2,
            missing: true,
        },
        StageSpec {
            filter: 1,
            missing: false,
        },
        StageSpec {
            filter: 3,
            missing: true,
        },
    ];
    let spec = SequenceSpec {
        stages: &STAGES,
        keys: 2,
        maxspan: Some(20_000_000),
        until_filter: None,
    };
    let (matches, during, engine) = drive(&spec, 256, 300, 20_000, 4, 200_000, 600_000);
    let st = engine.stats();
    eprintln!("missing: {matches} matches, stats {st:?}, {during} allocations in steady state");
    assert!(matches > 0, "the stream should produce matches");
    assert!(
        st.evictions > 0,
        "the stream should exercise eviction: {st:?}"
    );
    assert_eq!(during, 0, "SequenceEngine allocated in steady state");
}
