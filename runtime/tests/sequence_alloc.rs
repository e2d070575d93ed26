//! Steady-state zero-allocation check for [`SequenceEngine`]: after a warm-up, a long
//! stream over many keys (more than the capacity, so entries are evicted and expire;
//! multi-valued keys, `until`, missing-event stages with held candidates; or every key
//! new) must not allocate. Also the sample engine (keys seen before, also after a flush)
//! and `tail` limiters (once full, the alert pushed out is reused). A counting global
//! allocator is installed for this test binary only.

use eqlc_runtime::pipes::{Limiter, Pipe};
use eqlc_runtime::sample::{SampleEngine, SampleSpec};
use eqlc_runtime::sequence::{SequenceEngine, SequenceSpec, StageInput, StageSpec};
use eqlc_runtime::{EventRef, Value};
use eqlc_test_support::{allocations_in, Counting};

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
        let nh = 1 + r.is_multiple_of(4) as usize;
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

/// An event passing filter `filter`, with join key `key` (one key field).
struct Keyed<'a> {
    filter: usize,
    key: &'a str,
}

impl StageInput for Keyed<'_> {
    fn matches(&self, f: usize) -> bool {
        f == self.filter
    }
    fn key_values(&self, _f: usize, _k: usize, out: &mut dyn FnMut(Value<'_>)) {
        out(Value::Str(self.key));
    }
    fn key_optional(&self, _f: usize, _k: usize) -> bool {
        false
    }
}

/// A stream where every key is new: at step `i` (every 50 µs) process `i` starts
/// (filter 0, key `i`), process `i - d` (`d` random in 0..400 steps, i.e. up to 20 ms)
/// does filter 1, and, every third step, process `i - d'` does filter 2. Keys are
/// entity-like strings of varying length. Nothing is preallocated: the engine starts
/// empty. Returns (matches, allocations and bytes asked for up to the end of `warm`
/// steps, allocations during the `n - warm` steps after, the engine).
fn ever_new_keys(
    spec: &SequenceSpec,
    capacity: usize,
    warm: usize,
    n: usize,
) -> (u64, (u64, u64), u64, SequenceEngine) {
    // Keys are built up front: formatting allocates, matching must not.
    let keys: Vec<String> = (0..n)
        .map(|i| format!("entity-{i:x}-{}", "z".repeat(i % 23)))
        .collect();
    let (a0, b0) = (allocs(), eqlc_test_support::thread_bytes());
    let mut engine = SequenceEngine::new(spec, capacity);
    let mut rng = Lcg(7);
    let mut matches = 0u64;
    let mut out = |m: eqlc_runtime::sequence::SequenceMatch<'_>| {
        matches += 1;
        assert!(!m.key.is_empty());
    };
    let (mut warm_cost, mut before) = ((0, 0), 0);
    let mut handle = 0u64;
    for i in 0..n {
        if i == warm {
            warm_cost = (allocs() - a0, eqlc_test_support::thread_bytes() - b0);
            before = allocs();
        }
        let ts = i as i64 * 50_000;
        let d = (rng.next() % 400) as usize;
        let d2 = (rng.next() % 400) as usize;
        let mut feed = |filter: usize, p: usize| {
            let ev = Keyed {
                filter,
                key: &keys[p],
            };
            engine.on_event(EventRef { handle, ts }, &ev, &mut out);
            handle += 1;
        };
        feed(0, i);
        if i >= d {
            feed(1, i - d);
        }
        if i % 3 == 0 && i >= d2 {
            feed(2, i - d2);
        }
    }
    let during = allocs() - before;
    engine.flush(&mut out);
    (matches, warm_cost, during, engine)
}

/// `[0] [1]` by one key, optionally with `maxspan` and a trailing `![2]`.
fn keyed_spec(maxspan: Option<u64>, trailing_missing: bool) -> SequenceSpec {
    static PLAIN: [StageSpec; 2] = [
        StageSpec {
            filter: 0,
            missing: false,
        },
        StageSpec {
            filter: 1,
            missing: false,
        },
    ];
    static TRAILING: [StageSpec; 3] = [
        StageSpec {
            filter: 0,
            missing: false,
        },
        StageSpec {
            filter: 1,
            missing: false,
        },
        StageSpec {
            filter: 2,
            missing: true,
        },
    ];
    SequenceSpec {
        stages: if trailing_missing { &TRAILING } else { &PLAIN },
        keys: 1,
        maxspan,
        until_filter: None,
    }
}

#[test]
fn ever_new_keys_that_expire_do_not_allocate_once_warm() {
    // sequence by entity with maxspan=10ms [0] [1]: ~200 keys live at once, each key
    // used once; a huge capacity that must not be allocated up front.
    let spec = keyed_spec(Some(10_000_000), false);
    let (matches, (warm_allocs, warm_bytes), during, engine) =
        ever_new_keys(&spec, 1_000_000, 50_000, 250_000);
    let st = engine.stats();
    eprintln!(
        "expiring: {matches} matches, stats {st:?}; warm-up: {warm_allocs} allocations, \
         {warm_bytes} bytes; {during} allocations in steady state"
    );
    assert!(matches > 10_000, "most processes complete ({matches})");
    assert!(st.expired > 1_000, "partials expire: {st:?}");
    assert_eq!(st.evicted_entries, 0, "nothing is evicted: {st:?}");
    // Memory follows the live keys (~200 at once), not the capacity (1,000,000 keys).
    assert!(
        warm_bytes < 1 << 20,
        "{warm_bytes} bytes for ~200 live keys: state sized by the capacity?"
    );
    assert!(
        warm_allocs < 200,
        "{warm_allocs} allocations in warm-up: per key?"
    );
    assert_eq!(
        during, 0,
        "SequenceEngine allocated in steady state (ever-new keys)"
    );
}

#[test]
fn ever_new_keys_without_maxspan_do_not_allocate_once_full() {
    // No maxspan: keys never expire, the state fills up to the capacity and then the
    // least recently used key is evicted for every new one.
    let spec = keyed_spec(None, false);
    let (matches, _, during, engine) = ever_new_keys(&spec, 500, 5_000, 100_000);
    let st = engine.stats();
    eprintln!("full: {matches} matches, stats {st:?}, {during} allocations once full");
    assert!(matches > 10_000, "most processes complete ({matches})");
    assert!(st.evicted_entries > 10_000, "entries are evicted: {st:?}");
    // Full but for the entries freed by the latest completions.
    assert!(st.entries >= 490, "the state is full: {st:?}");
    assert_eq!(
        during, 0,
        "SequenceEngine allocated once full (ever-new keys)"
    );
}

#[test]
fn ever_new_keys_with_held_candidates_do_not_allocate_once_warm() {
    // sequence by entity with maxspan=10ms [0] [1] ![2]: completed candidates are held
    // until a `[2]` of their key or the end of their maxspan decides them.
    let spec = keyed_spec(Some(10_000_000), true);
    let (matches, (_, warm_bytes), during, engine) =
        ever_new_keys(&spec, 1_000_000, 50_000, 250_000);
    let st = engine.stats();
    eprintln!("held: {matches} matches, stats {st:?}, {during} allocations in steady state");
    assert!(matches > 10_000, "most candidates are kept ({matches})");
    assert!(
        warm_bytes < 1 << 20,
        "{warm_bytes} bytes: sized by the capacity?"
    );
    assert_eq!(
        during, 0,
        "SequenceEngine allocated in steady state (held candidates)"
    );
}

/// `sample by host [0] [1]`.
static SAMPLE: SampleSpec = SampleSpec {
    filters: &[0, 1],
    keys: 1,
};

/// Host names of varying length.
fn hosts(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("host-{i}-{}", "x".repeat(i % 13)))
        .collect()
}

/// `n` events alternating filters 0 and 1, two per host in turn, then the flush: every
/// sample goes to `out`.
fn sample_run(
    engine: &mut SampleEngine,
    hosts: &[String],
    first_handle: u64,
    n: u64,
    out: &mut dyn FnMut(eqlc_runtime::sample::SampleMatch<'_>),
) {
    for i in 0..n {
        let ev = Keyed {
            filter: (i % 2) as usize,
            key: &hosts[(i / 2) as usize % hosts.len()],
        };
        let handle = first_handle + i;
        engine.on_event(EventRef { handle, ts: 0 }, &ev);
    }
    engine.flush(out);
}

#[test]
fn sample_engine_reuses_its_state_across_flushes() {
    let hosts = hosts(300);
    let mut engine = SampleEngine::new(&SAMPLE, 10_000, usize::MAX, 2);
    let mut first = 0u64;
    sample_run(&mut engine, &hosts, 0, 3_000, &mut |_| first += 1);
    assert!(first >= 300, "every host has samples ({first})");
    let mut again = 0u64;
    let n = allocations_in(|| sample_run(&mut engine, &hosts, 0, 3_000, &mut |_| again += 1));
    assert_eq!(again, first);
    assert_eq!(n, 0, "a second run over known keys allocated");
}

#[test]
fn full_tail_limiter_does_not_allocate() {
    // The samples of `sample by host [0] [1] | tail 50`: a limiter fed from the engine's
    // flush (keys are only lent there).
    let hosts = hosts(400);
    let mut engine = SampleEngine::new(&SAMPLE, 10_000, usize::MAX, 1);
    let mut lim = Limiter::new(&[Pipe::Tail(50)]);
    let run = |engine: &mut SampleEngine, lim: &mut Limiter, base: u64| {
        sample_run(engine, &hosts, base, 2_000, &mut |m| {
            lim.offer_keyed(0, m.events, None, Some(m.key), &mut |_| {
                panic!("the tail holds every alert until its flush")
            })
        });
    };
    run(&mut engine, &mut lim, 0);
    let n = allocations_in(|| run(&mut engine, &mut lim, 10_000));
    assert_eq!(n, 0, "a full tail (or the sample engine) allocated");
    let mut got = Vec::new();
    lim.flush(&mut |a| {
        got.push((
            a.events[0].unwrap().handle >= 10_000,
            a.key.and_then(|k| k.get(0)).map(|v| format!("{v:?}")),
        ))
    });
    assert_eq!(got.len(), 50);
    assert!(got.iter().all(|g| g.0 && g.1.is_some()), "{got:?}");
}
